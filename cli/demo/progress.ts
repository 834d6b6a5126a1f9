/** The demo's progress bar: a live bar on a terminal, a line every few seconds elsewhere (CI logs). */
import cliProgress from 'cli-progress';

export function progressBar(label: string) {
  return new cliProgress.SingleBar(
    {
      format: `${label} {bar} {value}/{total} | {place}`,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 2000,
    },
    cliProgress.Presets.shades_classic,
  );
}
