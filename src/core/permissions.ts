/** A collaborator's effective permission, as `role_name` reports it (custom roles map to their base). */
export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

/** Permissions from least to most. */
export const PERMISSIONS: readonly Permission[] = ['none', 'read', 'triage', 'write', 'maintain', 'admin'];

/**
 * Whether a permission may trigger AWS calls from an issue comment (`/rescan`, `/deactivate`): write,
 * maintain or admin. Triage and read may comment on any issue, so they must not reach a responder.
 */
export function mayRespond(p: Permission): boolean {
  return PERMISSIONS.indexOf(p) >= PERMISSIONS.indexOf('write');
}
