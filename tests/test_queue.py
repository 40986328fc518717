"""The bounded audio queue: live input drops the oldest audio and counts it; files wait for room."""

import asyncio

import numpy as np

from echotui.pipeline.queue import AudioQueue, DroppedRun


def ramp(start: int, n: int) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.float32)


def test_offer_drops_oldest_when_full_and_counts_every_sample() -> None:
    queue = AudioQueue(capacity_samples=100)
    for i in range(5):
        queue.offer(ramp(i * 30, 30))  # 150 samples into room for 100
    assert queue.captured == 150
    assert queue.dropped == 50
    assert queue.fill == 100
    assert queue.dropped_runs == [DroppedRun(0, 50)]
    taken = queue.take(1000)
    assert taken is not None
    # The survivors are the newest samples, with their true timeline positions.
    assert taken.start == 50
    assert taken.samples[0] == 50
    rest = []
    while (block := queue.take(1000)) is not None:
        rest.append(block.samples)
    survivors = np.concatenate([taken.samples, *rest])
    np.testing.assert_array_equal(survivors, ramp(50, 100))


def test_offer_larger_than_capacity_keeps_the_newest() -> None:
    queue = AudioQueue(capacity_samples=10)
    queue.offer(ramp(0, 4))
    queue.offer(ramp(4, 25))
    assert queue.captured == 29
    assert queue.dropped == 19
    assert queue.fill == 10
    block = queue.take(100)
    assert block is not None and block.start == 19
    np.testing.assert_array_equal(block.samples, ramp(19, 10))


def test_put_waits_for_room_and_never_drops() -> None:
    async def scenario() -> tuple[int, int, list[np.ndarray]]:
        queue = AudioQueue(capacity_samples=50)
        got: list[np.ndarray] = []

        async def producer() -> None:
            for i in range(10):
                await queue.put(ramp(i * 20, 20))
            queue.close()

        async def consumer() -> None:
            while await queue.wait_for_data():
                assert queue.fill <= queue.capacity
                block = queue.take(7)
                assert block is not None
                got.append(block.samples)
                await asyncio.sleep(0)

        await asyncio.gather(producer(), consumer())
        return queue.captured, queue.dropped, got

    captured, dropped, got = asyncio.run(scenario())
    assert captured == 200
    assert dropped == 0
    np.testing.assert_array_equal(np.concatenate(got), ramp(0, 200))


def test_take_splits_blocks_and_keeps_positions() -> None:
    queue = AudioQueue(capacity_samples=1000)
    queue.offer(ramp(0, 10))
    first = queue.take(4)
    second = queue.take(100)
    assert first is not None and second is not None
    assert (first.start, len(first.samples), second.start, len(second.samples)) == (0, 4, 4, 6)
    assert queue.take(1) is None
    assert queue.max_fill == 10
