// Small line icons drawn for Berth (16×16, currentColor), so that the page
// needs no icon font and no emoji font. Decorative: buttons carry the names.
import type { ReactNode } from "react";

const paths: Record<string, ReactNode> = {
  plus: <path d="M8 3v10M3 8h10" />,
  upload: <path d="M8 11V3M4.5 6.5 8 3l3.5 3.5M3 13h10" />,
  download: <path d="M8 3v8M4.5 7.5 8 11l3.5-3.5M3 13h10" />,
  rename: <path d="M10.5 2.5l3 3L6 13H3v-3z M9 4l3 3" />,
  trash: <path d="M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.7 8.5h5.6l.7-8.5" />,
  folder: <path d="M2 4.5V12.5h12V6H7.5L6 4.5z" />,
  folderOpen: <path d="M2 12.5V4.5h4L7.5 6H13v1.5M2 12.5l2-5h11l-2 5z" />,
  file: <path d="M4 2h5l3 3v9H4zM9 2v3h3" />,
  script: <path d="M4 2h5l3 3v9H4zM9 2v3h3M6 8.5l1.5 1.5L6 11.5M8.5 11.5h2" />,
  chevronRight: <path d="M6 4l4 4-4 4" />,
  chevronDown: <path d="M4 6l4 4 4-4" />,
  sun: (
    <>
      <circle cx="8" cy="8" r="2.8" />
      <path d="M8 1.5v1.6M8 12.9v1.6M1.5 8h1.6M12.9 8h1.6M3.4 3.4l1.1 1.1M11.5 11.5l1.1 1.1M3.4 12.6l1.1-1.1M11.5 4.5l1.1-1.1" />
    </>
  ),
  moon: <path d="M12.5 10.2A5.2 5.2 0 0 1 5.8 3.5a5.2 5.2 0 1 0 6.7 6.7z" />,
  system: (
    <>
      <circle cx="8" cy="8" r="5.5" />
      <path d="M8 2.5v11A5.5 5.5 0 0 0 8 2.5z" fill="currentColor" />
    </>
  ),
  close: <path d="M4 4l8 8M12 4l-8 8" />,
  play: <path d="M5 3.5v9l7-4.5z" fill="currentColor" />,
};

export type IconName = keyof typeof paths;

export function Icon({ name, size = 16 }: { name: IconName; size?: number }) {
  return (
    <svg
      className="svg-icon"
      width={size}
      height={size}
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.4"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {paths[name]}
    </svg>
  );
}
