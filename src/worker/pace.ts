/**
 * How much of its time a training worker computes: between chunks it lets the
 * page's messages in, and on a CPU backend with a share below 1 (or in a
 * hidden tab, on any backend) it rests so that it computes that fraction of
 * the time. Any message from the page ends a rest at once (`interrupt`).
 */
export class Pace {
  /** Fraction of wall time spent computing (StartMsg.cpuShare), in (0, 1]. */
  private cpuShare = 1;
  /** StartMsg.background: the share applies to every backend. */
  private background = false;
  private wake: (() => void) | null = null;

  set(cpuShare: number | undefined, background: boolean): void {
    this.cpuShare = cpuShare !== undefined && cpuShare > 0 && cpuShare <= 1 ? cpuShare : 1;
    this.background = background;
  }

  interrupt(): void {
    this.wake?.();
  }

  /** After a chunk of `chunkMs`: the rest its share asks for (CPU backends), else only a yield. */
  async rest(chunkMs: number, cpuBackend: boolean): Promise<void> {
    const ms = this.background || cpuBackend ? (chunkMs * (1 - this.cpuShare)) / this.cpuShare : 0;
    if (ms <= 0) {
      // No rest asked: only let waiting messages in, without setTimeout's clamp (~5 ms).
      await yieldToMessages();
      return;
    }
    await new Promise<void>((r) => {
      const timer = setTimeout(r, Math.min(this.background ? 2000 : 250, ms));
      this.wake = () => {
        clearTimeout(timer);
        r();
      };
    });
    this.wake = null;
  }
}

/** Resolves after the tasks already queued (messages from the page) have run: a zero-delay message-channel hop. */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}
