/** Test support: runs the CLI's main() in this process, capturing what it writes. */
import { main } from './main.ts';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export async function captureMain(argv: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const ow = process.stdout.write;
  const ew = process.stderr.write;
  process.stdout.write = ((s: string) => ((stdout += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}
