/**
 * Small inline SVG icons for buttons, drawn in the text colour. Emoji and
 * pictographic characters (🔗, ⬇, ▶, ⚠) need an emoji font that a lecture
 * room's machine may lack: they showed as empty boxes.
 */
const PATHS = {
  play: 'M4 2.5v11l9-5.5z',
  pause: 'M3.5 2.5h3v11h-3zM9.5 2.5h3v11h-3z',
  step: 'M3 2.5v11l7-5.5zM11 2.5h2v11h-2z',
  reset: 'M8 2.5a5.5 5.5 0 1 1-5.2 3.7l1.9.6A3.5 3.5 0 1 0 8 4.5H7v2L3.5 3.5 7 .5v2z',
  link: 'M6.6 9.4a.9.9 0 0 1 0-1.3l2.7-2.7a.9.9 0 0 1 1.3 1.3L7.9 9.4a.9.9 0 0 1-1.3 0zM5 8.8l-1.3 1.3a1.8 1.8 0 0 0 2.5 2.5l1.3-1.3 1.3 1.3-1.3 1.3a3.6 3.6 0 0 1-5.1-5.1L3.7 7.5zm6-1.6 1.3-1.3a1.8 1.8 0 0 0-2.5-2.5L8.5 4.7 7.2 3.4l1.3-1.3a3.6 3.6 0 0 1 5.1 5.1l-1.3 1.3z',
  download: 'M7 1.5h2v6.3l2.3-2.3 1.4 1.4L8 11.6 3.3 6.9l1.4-1.4L7 7.8zM2.5 12.5h11v2h-11z',
  warning: 'M8 1.5 15 14H1zM7.1 6v4.2h1.8V6zm0 5.2V13h1.8v-1.8z',
  stop: 'M3.5 3.5h9v9h-9z',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name }: { name: IconName }) {
  return (
    <svg className="icon-svg" viewBox="0 0 16 16" width="1em" height="1em" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} fill="currentColor" fillRule="evenodd" />
    </svg>
  );
}
