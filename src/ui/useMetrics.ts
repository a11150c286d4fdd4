import { useEffect, useState, type RefObject } from 'react';
import { metrics } from './metrics.ts';

/**
 * Re-renders the calling component when metrics change, at most once per
 * `minIntervalMs` (and never more than once per animation frame).
 *
 * With `visibleRef`, a chart scrolled out of view (more than 200 px away) is
 * not re-rendered at all: it catches up once, when it comes back into view.
 * Most charts are off screen most of the time, so this keeps the main thread
 * light while training.
 *
 * With `run`, only changes of that run's series count (a chart of one run does
 * not redraw for another run's records).
 */
export function useMetricsVersion(minIntervalMs = 100, visibleRef?: RefObject<Element | null>, run?: number): number {
  const current = () => (run === undefined ? metrics.version : metrics.runVersion(run));
  const [version, setVersion] = useState(current);
  useEffect(() => {
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let visible = true;
    let stale = false;
    const update = () => {
      timer = null;
      if (!visible) {
        stale = true;
        return;
      }
      last = performance.now();
      setVersion(current());
    };
    const unsub = metrics.subscribe(() => {
      const wait = minIntervalMs - (performance.now() - last);
      if (wait <= 0) update();
      else if (!timer) timer = setTimeout(update, wait);
    });
    let io: IntersectionObserver | null = null;
    const el = visibleRef?.current;
    if (el && typeof IntersectionObserver === 'function') {
      io = new IntersectionObserver(
        (entries) => {
          visible = entries.some((e) => e.isIntersecting);
          if (visible && stale) {
            stale = false;
            update();
          }
        },
        { rootMargin: '200px' },
      );
      io.observe(el);
    }
    return () => {
      unsub();
      io?.disconnect();
      if (timer) clearTimeout(timer);
    };
    // `current` depends on `run` only
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [minIntervalMs, visibleRef, run]);
  return version;
}
