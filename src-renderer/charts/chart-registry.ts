/** chart.js with only what the run charts use (line charts on linear axes), and colours that read on light and dark. */
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);
Chart.defaults.color = '#8a94a6';
Chart.defaults.borderColor = 'rgba(138, 148, 166, 0.18)';
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif';

export const SERIES_COLORS = {
  blue: '#4f8cff',
  blueFaint: 'rgba(79, 140, 255, 0.35)',
  orange: '#f08c2e',
  green: '#20b27a',
  grey: '#8a94a6',
} as const;

/** One colour per run when runs are compared on one chart, told apart on light and dark backgrounds. */
export const RUN_COLORS = ['#4f8cff', '#f08c2e', '#20b27a', '#d6457a', '#8e6be8', '#c9a227', '#2bb3c0', '#8a94a6'] as const;

export { Chart };
