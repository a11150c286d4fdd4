import { useEffect, useRef, useState, type RefObject } from 'react';
import { displayClock } from './displayClock.ts';
import { metrics } from './metrics.ts';
import { useStore, type State } from './store.ts';

/**
 * Re-renders the calling component when metrics change, at most once per
 * `minIntervalMs`, on the page's display clock (displayClock.ts): every view
 * due at a tick re-renders in the same task, so they make one frame together.
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
    let last = -Infinity;
    let visible = true;
    let stale = false;
    const update = () => {
      last = performance.now();
      setVersion(current());
    };
    const tick = () => {
      if (!visible) {
        stale = true;
        return;
      }
      if (displayClock.due(last, minIntervalMs)) update();
      else displayClock.schedule(tick);
    };
    const unsub = metrics.subscribe(() => displayClock.schedule(tick));
    let io: IntersectionObserver | null = null;
    const el = visibleRef?.current;
    if (el && typeof IntersectionObserver === 'function') {
      io = new IntersectionObserver(
        (entries) => {
          visible = entries.some((e) => e.isIntersecting);
          if (visible && stale) {
            stale = false;
            displayClock.schedule(tick);
          }
        },
        { rootMargin: '200px' },
      );
      io.observe(el);
    }
    return () => {
      unsub();
      io?.disconnect();
      displayClock.cancel(tick);
    };
    // `current` depends on `run` only
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [minIntervalMs, visibleRef, run]);
  return version;
}

/**
 * A value of the store that changes with every record batch (a run's step count,
 * its steps/s), re-rendered on the display clock's ticks rather than at each
 * change. `select` must return a number or a string (compared with ===).
 */
export function useStoreAtTicks<T extends number | string | undefined>(select: (s: State) => T): T {
  const [value, setValue] = useState(() => select(useStore.getState()));
  const shown = useRef(value);
  const selectRef = useRef(select);
  selectRef.current = select;
  useEffect(() => {
    const tick = () => {
      const v = selectRef.current(useStore.getState());
      shown.current = v;
      setValue(v);
    };
    // A value that changed while the component was rendering: shown at the next tick.
    if (selectRef.current(useStore.getState()) !== shown.current) displayClock.schedule(tick);
    const unsub = useStore.subscribe((st) => {
      if (selectRef.current(st) !== shown.current) displayClock.schedule(tick);
    });
    return () => {
      unsub();
      displayClock.cancel(tick);
    };
  }, []);
  return value;
}
