import * as core from '@actions/core';
import { terminal, workflowLine } from '../core/render/escape.js';
import { stripUrlCredentials } from '../core/redact.js';

// The only places keyleak writes log lines. Messages quote file names, branch names and git's errors, all
// of which a repository chooses: on a runner a line starting with `::` is a command, in a terminal an
// escape sequence can rewrite what was already printed, and a remote URL can carry a token.

/** A line for the workflow log: credentials dropped, no command the runner would execute. */
export function info(message: string): void {
  core.info(workflowLine(stripUrlCredentials(message)));
}

/** An annotation's text: @actions/core encodes it as command data; credentials and controls go first. */
function annotation(message: string): string {
  return terminal(stripUrlCredentials(message));
}

export function warning(message: string, props?: core.AnnotationProperties): void {
  core.warning(annotation(message), props);
}

export function error(message: string, props?: core.AnnotationProperties): void {
  core.error(annotation(message), props);
}

export function setFailed(message: string): void {
  core.setFailed(annotation(message));
}
