import { useEffect, useState } from 'react';
import { metrics } from './metrics.ts';

/**
 * Re-renders the calling component when metrics change, at most once per
 * `minIntervalMs` (and never more than once per animation frame).
 */
export function useMetricsVersion(minIntervalMs = 100): number {
  const [version, setVersion] = useState(metrics.version);
  useEffect(() => {
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const update = () => {
      timer = null;
      last = performance.now();
      setVersion(metrics.version);
    };
    const unsub = metrics.subscribe(() => {
      const wait = minIntervalMs - (performance.now() - last);
      if (wait <= 0) update();
      else if (!timer) timer = setTimeout(update, wait);
    });
    return () => {
      unsub();
      if (timer) clearTimeout(timer);
    };
  }, [minIntervalMs]);
  return version;
}
