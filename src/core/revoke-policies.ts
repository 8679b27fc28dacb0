// The names of the policies keyleak puts on IAM identities to end sessions. Apart from the AWS adapter so
// that code naming them (the persistence report, incidents) does not load the AWS SDK with it.

/**
 * The managed policy `--revoke-sessions` attaches, created once per account by its administrators (see
 * docs/aws/revoke-sessions-policy.json). A fixed, pre-made policy lets the responder's
 * iam:AttachUserPolicy be limited to it with an iam:PolicyARN condition: the responder can never attach
 * or write a policy that grants anything.
 */
export const REVOKE_POLICY_NAME = 'keyleak-revoke-sessions';

/**
 * The inline policy IAM's console puts on a role to "revoke active sessions" (`contain-persistence`):
 * deny everything to tokens issued before now. A role's sessions are all temporary, so the fixed
 * user policy above would end the role's legitimate use too; this one ends only the sessions that exist.
 */
export const ROLE_REVOKE_POLICY_NAME = 'AWSRevokeOlderSessions';
