"""The consumer: the pipeline's loop over the queue. It takes the audio a frame at a time, keeps the recent
audio, hands frames to the VAD thread (closed utterances come back), says where audio was dropped or a
device lost, and calls the policy (through its host) after each block, at each utterance's end and whenever
the queue is empty; the revision layer hears each block and runs only while no audio waits. Runs on the
event loop."""

from __future__ import annotations

from collections.abc import Callable

from echotui import SAMPLE_RATE
from echotui.pipeline import events
from echotui.pipeline.framing import FramingThread
from echotui.pipeline.memory import HeapReturner
from echotui.pipeline.policy_host import PolicyHost
from echotui.pipeline.queue import AudioQueue
from echotui.pipeline.recent import RecentAudio
from echotui.pipeline.revision import Reviser
from echotui.pipeline.segmenter import Utterance
from echotui.pipeline.swapping import HotSwap
from echotui.pipeline.vad import FRAME_SAMPLES


class Consumer:
    """Takes one pipeline's queue through its VAD, policy and revision layer, until the queue ends."""

    def __init__(
        self,
        queue: AudioQueue,
        framing: FramingThread,
        recent: RecentAudio,
        host: PolicyHost,
        reviser: Reviser,
        swapper: HotSwap,
        send: Callable[[events.PipelineEvent], None],
    ) -> None:
        self.queue, self.framing, self.recent = queue, framing, recent
        self.host, self.reviser, self.swapper, self.send = host, reviser, swapper, send
        self.heap = HeapReturner()
        self.next_sample = 0  # timeline index the consumer expects next; more means a drop

    async def run(self) -> None:
        while await self.queue.wait_for_data():
            await self._handle_losses()
            while (block := self.queue.take(FRAME_SAMPLES)) is not None:
                if self.queue.losses:
                    await self._handle_losses(block.start)
                gap, self.next_sample = block.start - self.next_sample, block.end
                self.recent.append(block.start, block.samples)
                closed = await self.framing.push(block)  # in flight there, then pending here
                self.host.tally.inflight += sum(
                    len(u.audio) for u in closed
                )  # in the same step: the ledger holds
                if gap > 0:  # dropped audio lies just before this block: say so where it happened
                    start = (block.start - gap) / SAMPLE_RATE
                    self.send(events.AudioDropped(start, gap / SAMPLE_RATE))
                    if (device := self.queue.device_gaps.pop(block.start - gap, None)) is not None:
                        self.send(events.DeviceRestored(device, gap / SAMPLE_RATE))
                self.reviser.heard(block, closed)
                await self._finalize_all(closed, counted=True)
                await self.host.take(lambda policy: policy.after_block())
                if self.swapper.urgent:  # between engine calls: the governor's swap need not wait
                    self.swapper.switch()
            await self._idle()
            await self.reviser.when_idle()  # only now, and only while no audio waits
            self.heap.maybe_return()  # at most once a minute: freed heap back to the system
        await self._finalize_all(self.framing.flush())
        await self._idle()  # the end: what a policy still holds is transcribed
        await self.reviser.when_idle(ended=True)

    async def _idle(self) -> None:
        if self.host.policy.untouched:  # the old provider has shown nothing of the open utterance
            self.swapper.switch()
        await self.host.take(lambda policy: policy.when_idle())

    async def _handle_losses(self, upto: int | None = None) -> None:
        """Device losses up to timeline index `upto` (default: all once the queue is empty): end the
        open utterance there and say so."""
        losses = self.queue.losses
        if upto is None:
            upto = self.next_sample if self.queue.fill else self.queue.captured
        while losses and losses[0][0] <= upto:
            at, reason = losses.popleft()
            await self._finalize_all(self.framing.flush())
            if reason is not None:  # None: the user switched devices
                self.send(events.DeviceLost(reason, at / SAMPLE_RATE))

    async def _finalize_all(self, closed: list[Utterance], counted: bool = False) -> None:
        # Closed utterances count as pending ("in flight") until their text is out (a policy may hold some)
        self.host.tally.inflight += 0 if counted else sum(len(u.audio) for u in closed)
        for utterance in closed:
            await self.host.take(lambda policy: policy.finalize(utterance))  # noqa: B023 (awaited here)
            self.swapper.switch()  # an utterance boundary
