import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mergeDigests, type AttackAction, type AttackDigest } from '../../src/core/attack-digest.js';
import { digestTrail, type TrailEvent } from '../../src/core/cloudtrail.js';
import { renderAttackSection } from '../../src/core/render/attack.js';
import { commandLine, mdCode } from '../../src/core/render/escape.js';
import { attackScenario, ATTACKER_ACCOUNT, ATTACK_REGIONS } from '../emulators/aws/attack.js';
import { recordBody, type ScenarioEvent } from '../emulators/aws/index.js';
import { makeKeyId } from '../helpers/keys.js';

const ACCOUNT = '123456789012';
const NOW = new Date('2026-03-01T12:00:00Z');
const WINDOW = { start: '2026-02-28T00:00:00Z', end: '2026-03-01T12:00:00Z' };

function lookup(events: ScenarioEvent[], followed: Map<string, string> = new Map()) {
  return events.map((e) => {
    const id = randomUUID();
    const event: TrailEvent = {
      EventId: id,
      EventName: e.eventName,
      ReadOnly: 'false',
      AccessKeyId: e.accessKeyId,
      EventTime: e.eventTime,
      EventSource: e.eventSource ?? 'iam.amazonaws.com',
      Resources: e.resources ?? [],
      CloudTrailEvent: JSON.stringify(recordBody(ACCOUNT, e, id)),
    };
    return { region: e.region ?? 'us-east-1', event, via: followed.get(e.accessKeyId) ?? null };
  });
}

function digestOf(events: ScenarioEvent[], via: Map<string, string> = new Map()): AttackDigest {
  return digestTrail({
    keyId: events[0]!.accessKeyId,
    window: WINDOW,
    regions: ['us-east-1'],
    events: lookup(events, via),
    incompleteRegions: [],
  }).activity!;
}

const keyId = makeKeyId('AKIA', ACCOUNT);
const attack = attackScenario({ accountId: ACCOUNT, keyId, userName: 'deploy-bot', now: NOW });
const digest = digestOf(attack.events, new Map([[attack.expect.sessionKey, 'via role ops-admin']]));
const find = (name: string, pred: (a: AttackAction) => boolean = () => true) =>
  digest.actions.find((a) => a.eventName === name && pred(a));

describe('the attacker-activity digest', () => {
  it.each([
    ['CreateUser', 'access', ['backup-admin'], 'aws iam delete-user --user-name backup-admin'],
    [
      'CreateAccessKey',
      'access',
      [attack.expect.createdKey],
      `aws iam update-access-key --user-name backup-admin --access-key-id ${attack.expect.createdKey} --status Inactive`,
    ],
    [
      'CreateLoginProfile',
      'access',
      ['backup-admin'],
      'aws iam delete-login-profile --user-name backup-admin',
    ],
    [
      'AttachUserPolicy',
      'access',
      ['arn:aws:iam::aws:policy/AdministratorAccess'],
      'aws iam detach-user-policy --user-name backup-admin --policy-arn arn:aws:iam::aws:policy/AdministratorAccess',
    ],
    [
      'PutRolePolicy',
      'access',
      ['maintenance'],
      'aws iam delete-role-policy --role-name ops-admin --policy-name maintenance',
    ],
    ['CreatePolicy', 'access', [`arn:aws:iam::${ACCOUNT}:policy/SupportAccess`], 'aws iam delete-policy'],
    ['CreatePolicyVersion', 'access', [`arn:aws:iam::${ACCOUNT}:policy/ReadOnlyAudit`], null],
    [
      'EnableMFADevice',
      'access',
      [`arn:aws:iam::${ACCOUNT}:mfa/backup-admin-mfa`],
      'aws iam deactivate-mfa-device',
    ],
    [
      'CreateInstanceProfile',
      'access',
      ['maintenance-profile'],
      'aws iam delete-instance-profile --instance-profile-name maintenance-profile',
    ],
    [
      'AddRoleToInstanceProfile',
      'access',
      ['maintenance-profile'],
      'aws iam remove-role-from-instance-profile',
    ],
    [
      'CreateOpenIDConnectProvider',
      'access',
      [`arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.example.net`],
      'aws iam delete-open-id-connect-provider',
    ],
    [
      'CreateTrustAnchor',
      'access',
      [],
      'aws rolesanywhere --region us-east-1 delete-trust-anchor --trust-anchor-id',
    ],
    ['UploadSSHPublicKey', 'access', [], 'aws iam delete-ssh-public-key --user-name backup-admin'],
    [
      'CreateServiceSpecificCredential',
      'access',
      [],
      'aws iam delete-service-specific-credential --user-name backup-admin',
    ],
    [
      'AddPermission20150331v2',
      'access',
      ['billing-export'],
      'aws lambda --region us-east-1 remove-permission --function-name billing-export --statement-id public-invoke',
    ],
    ['UpdateAssumeRolePolicy', 'access', ['ops-admin'], null],
    ['AssumeRole', 'temporary-credentials', [attack.expect.sessionKey], null],
    [
      'StopLogging',
      'defense-evasion',
      [`arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/org-trail`],
      'aws cloudtrail --region us-east-1 start-logging --name',
    ],
    ['DeleteFlowLogs', 'defense-evasion', [], null],
    ['DeleteResolverQueryLogConfig', 'defense-evasion', [], null],
    ['DeleteLogGroup', 'defense-evasion', ['/aws/vpc/flow-logs'], null],
    ['DeleteDetector', 'defense-evasion', [], null],
    [
      'DisableSecurityHub',
      'defense-evasion',
      ['eu-west-1'],
      'aws securityhub --region eu-west-1 enable-security-hub',
    ],
    [
      'StopConfigurationRecorder',
      'defense-evasion',
      ['default'],
      'aws configservice --region eu-west-1 start-configuration-recorder --configuration-recorder-name default',
    ],
    ['LeaveOrganization', 'defense-evasion', ['this account'], null],
    ['RunInstances', 'resources', [], 'aws ec2 --region eu-west-1 terminate-instances --instance-ids i-'],
    [
      'RequestSpotInstances',
      'resources',
      [],
      'aws ec2 --region us-west-2 cancel-spot-instance-requests --spot-instance-request-ids sir-',
    ],
    [
      'CreateFleet',
      'resources',
      [],
      'aws ec2 --region us-east-2 delete-fleets --terminate-instances --fleet-ids fleet-',
    ],
    [
      'CreateAutoScalingGroup',
      'resources',
      ['batch-workers'],
      'aws autoscaling --region eu-central-1 delete-auto-scaling-group --force-delete --auto-scaling-group-name batch-workers',
    ],
    [
      'CreateFunction20150331',
      'resources',
      ['log-forwarder'],
      'aws lambda --region us-east-1 delete-function --function-name log-forwarder',
    ],
    ['UpdateFunctionCode20150331v2', 'resources', ['billing-export'], null],
    [
      'RunTask',
      'resources',
      [],
      'aws ecs --region eu-west-1 stop-task --cluster default --task arn:aws:ecs:eu-west-1:',
    ],
    ['AuthorizeSecurityGroupIngress', 'resources', [], 'revoke-security-group-ingress --group-id sg-'],
    [
      'PutBucketPolicy',
      'resources',
      ['acme-backups'],
      'aws s3api delete-bucket-policy --bucket acme-backups',
    ],
    ['PutBucketAcl', 'resources', ['acme-logs'], 'aws s3api put-bucket-acl --bucket acme-logs --acl private'],
    [
      'DeleteBucketPublicAccessBlock',
      'resources',
      ['acme-backups'],
      'aws s3api put-public-access-block --bucket acme-backups',
    ],
    ['ModifySnapshotAttribute', 'resources', [], `--operation-type remove --user-ids ${ATTACKER_ACCOUNT}`],
    ['ModifyImageAttribute', 'resources', [], `--launch-permission 'Remove=[{UserId=${ATTACKER_ACCOUNT}}]'`],
    [
      'ModifyDBSnapshotAttribute',
      'resources',
      ['orders-nightly'],
      `aws rds --region eu-west-1 modify-db-snapshot-attribute --db-snapshot-identifier orders-nightly --attribute-name restore --values-to-remove ${ATTACKER_ACCOUNT}`,
    ],
    [
      'CreateKeyPair',
      'resources',
      ['maint-key'],
      'aws ec2 --region eu-west-1 delete-key-pair --key-name maint-key',
    ],
    [
      'ImportKeyPair',
      'resources',
      ['ops-laptop'],
      'aws ec2 --region ap-southeast-1 delete-key-pair --key-name ops-laptop',
    ],
    [
      'UpdateAccountSendingEnabled',
      'resources',
      [],
      'aws ses --region us-east-1 update-account-sending-enabled --no-enabled',
    ],
    ['InvokeModel', 'resources', ['anthropic.claude-3-sonnet-20240229-v1:0'], null],
    ['ModifyInstanceAttribute', 'execution', [], null],
    ['SendCommand', 'execution', [], null],
    ['StartSession', 'execution', [], 'aws ssm --region eu-west-1 terminate-session --session-id'],
    ['SendSSHPublicKey', 'execution', [], null],
    [
      'GetSecretValue',
      'data',
      ['prod/db/orders'],
      'aws secretsmanager --region eu-west-1 rotate-secret --secret-id prod/db/orders',
    ],
    ['BatchGetSecretValue', 'data', ['prod/stripe/api-key', 'prod/github/deploy-token'], null],
    ['GetParametersByPath', 'data', ['/prod/ (all below)'], null],
    ['Decrypt', 'data', [], null],
    ['GetPasswordData', 'data', [], null],
    ['CreateVpc', 'other-changes', [], null],
  ] as const)('%s: %s', (name, category, ids, undo) => {
    const a = find(name);
    expect(a, `${name} is listed`).toBeDefined();
    expect(a!.category).toBe(category);
    expect(a!.cite).not.toBe('');
    for (const id of ids) expect(a!.items.map((i) => i.id)).toContain(id);
    expect(a!.items.length).toBeGreaterThan(0);
    if (undo) expect(a!.undo.map((c) => commandLine(c)).join('\n')).toContain(undo);
  });

  it('keeps a failed dangerous call in its category, marked failed, with nothing to undo', () => {
    const a = find('DeleteTrail');
    expect(a).toMatchObject({ category: 'defense-evasion', failed: 'AccessDenied', undo: [] });
  });

  it('splits failed reads into denied probing and noise, and counts reconnaissance without listing it', () => {
    expect(digest.denied.calls).toEqual([
      { eventSource: 'secretsmanager.amazonaws.com', eventName: 'ListSecrets', count: 1 },
    ]);
    expect(digest.noise.calls.map((c) => c.eventName).sort()).toEqual(['DescribeInstances', 'GetUser']);
    expect(digest.reconnaissance.calls.map((c) => c.eventName)).toContain('GetCallerIdentity');
    expect(digest.actions.map((a) => a.eventName)).not.toContain('GetCallerIdentity');
  });

  it('names the keys the attacker minted: sessions with role, name and expiry, and created access keys', () => {
    expect(digest.minted).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          keyId: attack.expect.sessionKey,
          kind: 'session',
          roleArn: `arn:aws:iam::${ACCOUNT}:role/ops-admin`,
          sessionName: 'maint',
        }),
        expect.objectContaining({ kind: 'session', mintedBy: 'GetFederationToken', sessionName: 'support' }),
        expect.objectContaining({
          keyId: attack.expect.createdKey,
          kind: 'access-key',
          userName: 'backup-admin',
        }),
      ]),
    );
    expect(digest.minted.find((m) => m.keyId === attack.expect.sessionKey)!.expiry).toMatch(/\d{4}/);
  });

  it('carries the path of a followed key on what it did', () => {
    expect(find('LeaveOrganization')!.via).toBe('via role ops-admin');
  });

  it('orders by severity, not time: evasion and persistence before launches, launches before reads', () => {
    const sev = digest.actions.map((a) => a.severity);
    expect([...sev].sort((x, y) => x - y)).toEqual(sev);
    expect(digest.actions[0]!.category).toBe('defense-evasion');
    expect(digest.actions.at(-1)!.category).toBe('other-changes');
  });
});

describe('merging digests', () => {
  it('loses nothing of an earlier window and adds the later one', () => {
    const cut = Math.floor(attack.events.length / 2);
    const first = digestOf(attack.events.slice(0, cut));
    const second = digestOf(attack.events.slice(cut));
    first.window = { start: WINDOW.start, end: '2026-03-01T09:00:00Z' };
    second.window = { start: '2026-03-01T09:00:00Z', end: WINDOW.end };
    const merged = mergeDigests(first, second);
    const whole = digestOf(attack.events);
    const names = (d: AttackDigest) => d.actions.map((a) => `${a.eventName} ${a.eventTime}`).sort();
    expect(names(merged)).toEqual(names(whole));
    expect(merged.minted.map((m) => m.keyId).sort()).toEqual(whole.minted.map((m) => m.keyId).sort());
    expect(merged.reconnaissance.total).toBe(whole.reconnaissance.total);
    expect(merged.window).toEqual(WINDOW);
  });

  it('does not count the same calls twice when the windows overlap', () => {
    const d = digestOf(attack.events);
    const merged = mergeDigests(d, d);
    expect(merged.actions).toHaveLength(d.actions.length);
    expect(merged.reconnaissance.total).toBe(d.reconnaissance.total);
  });
});

describe('rendering hostile values', () => {
  const hostile = 'x`y|z</details><script>@admin $(rm -rf ~)';
  const events: ScenarioEvent[] = [
    {
      eventName: 'CreateUser',
      eventSource: 'iam.amazonaws.com',
      eventTime: '2026-03-01T10:00:00Z',
      accessKeyId: keyId,
      requestParameters: { userName: hostile },
    },
    {
      eventName: 'CreateLoginProfile',
      eventSource: 'iam.amazonaws.com',
      eventTime: '2026-03-01T10:01:00Z',
      accessKeyId: keyId,
      requestParameters: { userName: 'evil\n```\nrm -rf /' },
    },
  ];
  const text = renderAttackSection(digestOf(events), {
    maxRows: 50,
    keyId,
    persistence: null,
    cost: null,
  }).join('\n');

  it('shows names as code spans and shell-quotes them in commands', () => {
    expect(text).toContain(mdCode(hostile));
    expect(text).toContain(`aws iam delete-user --user-name 'x\`y|z</details><script>@admin $(rm -rf ~)'`);
    expect(text).not.toMatch(/^<\/details><script>/m);
  });

  it('leaves out a command whose value holds a newline, and says so', () => {
    expect(text).not.toContain('delete-login-profile');
    expect(text).toContain('1 command left out: a value holds control characters');
  });
});

describe('at volume', () => {
  it('a 2,400-event trail in 10 regions still names every created item and attack call', () => {
    const big = attackScenario({ accountId: ACCOUNT, keyId, userName: 'deploy-bot', now: NOW, volume: 2400 });
    expect(big.events).toHaveLength(2400);
    expect(new Set(big.events.map((e) => e.region)).size).toBeGreaterThanOrEqual(8);
    const d = digestOf(big.events);
    expect(d.reconnaissance.total).toBeGreaterThan(2000);
    const text = renderAttackSection(d, { maxRows: Infinity, keyId, persistence: null, cost: null }).join(
      '\n',
    );
    for (const id of big.expect.created) {
      if (big.expect.sessionCalls.length && id === big.expect.sessionKey) continue;
      expect(text, id).toContain(id);
    }
    for (const name of big.expect.calls) expect(text, name).toContain(name);
    expect(ATTACK_REGIONS.length).toBeGreaterThanOrEqual(8);
  });
});
