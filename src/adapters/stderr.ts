import { terminalBlock } from '../core/render/escape.js';
import { stripUrlCredentials } from '../core/redact.js';

/**
 * A message for the CLI's stderr: credentials dropped from URLs, escape sequences and other controls shown
 * rather than sent (a file name or a git error could otherwise rewrite what the terminal already shows).
 * Line breaks are kept: usage texts span lines.
 */
export function stderrLine(message: string): void {
  process.stderr.write(`keyleak: ${terminalBlock(stripUrlCredentials(message))}\n`);
}
