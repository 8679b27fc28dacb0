/**
 * What each CloudTrail call an attacker makes with a leaked key means for a responder: its category, how
 * bad it is, what it created or changed (read from the record's requestParameters, responseElements and
 * resources) and the command that removes or reverts it.
 *
 * Sources, cited per entry:
 * - `IRP-CredCompromise`: AWS incident-response playbook "Compromised IAM credentials"
 *   (github.com/aws-samples/aws-incident-response-playbooks), which lists the calls to look for.
 * - ATT&CK ids: MITRE ATT&CK cloud (IaaS) techniques (attack.mitre.org/matrices/enterprise/cloud/iaas/),
 *   the ones Stratus Red Team's AWS attack techniques are filed under.
 */

export type AttackCategory =
  | 'defense-evasion'
  | 'access'
  | 'temporary-credentials'
  | 'execution'
  | 'resources'
  | 'data'
  | 'other-changes';

/** Lower is worse. The incident lists what the attacker did in this order, not in time order. */
export type Severity = 1 | 2 | 3 | 4;

/** One principal or resource a call created, changed or read. */
export interface TouchedItem {
  /** What it is, in words: "IAM user", "access key", "EC2 instance". */
  kind: string;
  /** Its name or id as the record gives it. */
  id: string;
  /** More about it: instance type, port and CIDR, the account it was shared with. */
  detail?: string;
}

/** What one call did, read out of its record. */
export interface Reading {
  items: TouchedItem[];
  /** Commands (argv, starting with `aws`) that remove or revert it; empty when only a person can tell. */
  undo: string[][];
  /** What to do when no command can undo it (a trust policy's earlier version is not in the record). */
  review?: string;
}

/** The fields of a record an entry reads. */
export interface RecordView {
  eventName: string;
  eventSource: string;
  region: string;
  params: Record<string, unknown>;
  response: Record<string, unknown>;
  resources: { ResourceType: string; ResourceName: string }[];
}

export interface CatalogEntry {
  source: string;
  names: string[];
  category: AttackCategory;
  severity: Severity;
  /** What happened, in a few words ("access key created"). */
  what: string;
  /** Where the entry comes from: playbook and ATT&CK technique. */
  cite: string;
  read?: (r: RecordView) => Reading;
}

const PB = 'IRP-CredCompromise';

/** A value at a dotted path, or undefined. */
export function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** A string at a dotted path, or '' (numbers are spelt out). */
export function str(obj: unknown, path: string): string {
  const v = at(obj, path);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** The array at a dotted path (EC2 wraps lists in `{ items: [...] }`), or []. */
export function list(obj: unknown, path: string): unknown[] {
  const v = at(obj, path);
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object' && Array.isArray((v as { items?: unknown }).items))
    return (v as { items: unknown[] }).items;
  return [];
}

const strings = (xs: unknown[]) => xs.filter((x): x is string => typeof x === 'string' && x !== '');

function one(kind: string, id: string, undo: string[][] = [], detail?: string): Reading {
  if (!id) return { items: [], undo: [] };
  return { items: [{ kind, id, ...(detail ? { detail } : {}) }], undo };
}

/** AWS CLI commands: IAM's (global), and a regional service's in `region`. */
const iam = (...args: string[]) => ['aws', 'iam', ...args];
function regional(service: string, region: string, ...args: string[]): string[] {
  return ['aws', service, '--region', region, ...args];
}
const ec2 = (region: string, ...args: string[]) => regional('ec2', region, ...args);

function policyTarget(r: RecordView): { flag: string; name: string; noun: string } {
  const p = r.params;
  if (str(p, 'userName')) return { flag: '--user-name', name: str(p, 'userName'), noun: 'user' };
  if (str(p, 'roleName')) return { flag: '--role-name', name: str(p, 'roleName'), noun: 'role' };
  return { flag: '--group-name', name: str(p, 'groupName'), noun: 'group' };
}

function attachPolicy(r: RecordView): Reading {
  const t = policyTarget(r);
  const arn = str(r.params, 'policyArn');
  const verb = r.eventName.replace(/^Attach(\w+)Policy$/, 'detach-$1-policy').toLowerCase();
  return {
    items: [{ kind: `policy on ${t.noun} ${t.name}`, id: arn }],
    undo: [iam(verb, t.flag, t.name, '--policy-arn', arn)],
  };
}

function putPolicy(r: RecordView): Reading {
  const t = policyTarget(r);
  const name = str(r.params, 'policyName');
  const verb = r.eventName.replace(/^Put(\w+)Policy$/, 'delete-$1-policy').toLowerCase();
  return {
    items: [{ kind: `inline policy on ${t.noun} ${t.name}`, id: name }],
    undo: [iam(verb, t.flag, t.name, '--policy-name', name)],
  };
}

/** Who a sharing call added: account ids, or "everyone" for the `all` group. */
function sharedWith(adds: unknown[]): string[] {
  return adds
    .map((a) => str(a, 'userId') || (str(a, 'group') === 'all' ? 'everyone (public)' : ''))
    .filter(Boolean);
}

/** A resource shared with others (`whom`), undone by `undo` when the record says enough to build it. */
function shared(kind: string, id: string, whom: string[], undo: string[] | null): Reading {
  return one(kind, id, undo ? [undo] : [], whom.length ? `with ${whom.join(', ')}` : undefined);
}

/** One item no command can undo, with its detail as the record gives it (empty included). */
const noted = (kind: string, id: string, detail: string): Reading => ({
  items: [{ kind, id, detail }],
  undo: [],
});

/** A reading with what to do that no command can (the record lacks what was there before). */
const reviewed = (reading: Reading, review: string): Reading => ({ ...reading, review });

type Read = (r: RecordView) => Reading;

/** Reads a call whose target the request names at `path`, with what to do when no command can undo it. */
const named =
  (kind: string, path: string, review?: string): Read =>
  (r) =>
    review === undefined ? one(kind, str(r.params, path)) : reviewed(one(kind, str(r.params, path)), review);

/**
 * Reads a credential the call made for the request's user, its id in the response at `idPath`, deleted
 * by `aws iam <verb> --user-name … <idFlag> …`.
 */
const userCredential =
  (
    kind: string,
    idPath: string,
    verb: string,
    idFlag: string,
    detail: (user: string, r: RecordView) => string,
  ): Read =>
  (r) => {
    const u = str(r.params, 'userName');
    const id = str(r.response, idPath);
    return one(kind, id, [iam(verb, '--user-name', u, idFlag, id)], detail(u, r));
  };

/** Reads a call whose target the request names at `path`, undone by one command. */
const undone =
  (kind: string, path: string, undo: (id: string, region: string) => string[]): Read =>
  (r) => {
    const id = str(r.params, path);
    return one(kind, id, [undo(id, r.region)]);
  };

/** The cite of a row the playbook lists, filed under ATT&CK technique `t`. */
const pb = (t: string) => `${PB}; ATT&CK ${t}`;
/** The cite of a row only ATT&CK names: technique `t`. */
const att = (t: string) => `ATT&CK ${t}`;

/**
 * A row of the table: the calls it matches, one service (`iam` for `iam.amazonaws.com`) and its event
 * names separated by spaces; then what they mean (how bad, what happened, the cite); then how a record
 * of one is read.
 */
function calls(service: string, names: string) {
  return {
    mean: (severity: Severity, what: string, cite: string) => ({
      read: (read: Read) => ({
        source: `${service}.amazonaws.com`,
        names: names.split(' '),
        severity,
        what,
        cite,
        read,
      }),
    }),
  };
}

/** The rows of one category. */
function section(category: AttackCategory, rows: Omit<CatalogEntry, 'category'>[]): CatalogEntry[] {
  return rows.map((r) => ({ ...r, category }));
}

/**
 * The table, a row per kind of call. Calls of one source and name match one row; Lambda's dated names
 * (`CreateFunction20150331`) are matched without their date.
 */
export const CATALOG: CatalogEntry[] = [
  ...section('defense-evasion', [
    calls('cloudtrail', 'StopLogging')
      .mean(1, 'trail stopped', pb('T1562.008'))
      .read((r) =>
        one('trail', str(r.params, 'name'), [
          regional('cloudtrail', r.region, 'start-logging', '--name', str(r.params, 'name')),
        ]),
      ),
    calls('cloudtrail', 'DeleteTrail')
      .mean(1, 'trail deleted', pb('T1562.008'))
      .read(
        named(
          'trail',
          'name',
          'recreate the trail (aws cloudtrail create-trail) with its bucket and settings',
        ),
      ),
    calls('cloudtrail', 'UpdateTrail PutEventSelectors PutInsightSelectors DeleteEventDataStore')
      .mean(1, 'trail re-scoped', pb('T1562.008'))
      .read((r) =>
        reviewed(
          one(
            r.eventName === 'DeleteEventDataStore' ? 'event data store' : 'trail',
            str(r.params, 'name') || str(r.params, 'trailName') || str(r.params, 'eventDataStore'),
          ),
          'compare the trail with your baseline: aws cloudtrail get-trail / get-event-selectors',
        ),
      ),
    calls('ec2', 'DeleteFlowLogs')
      .mean(1, 'VPC flow logs deleted', att('T1562.008'))
      .read((r) => ({
        // The query API's list arrives as one `{ content, tag }` or an array of them.
        items: strings(
          [at(r.params, 'DeleteFlowLogsRequest.FlowLogId')]
            .flat()
            .map((x) => (typeof x === 'string' ? x : str(x, 'content'))),
        ).map((id) => ({ kind: 'flow log', id })),
        undo: [],
        review: 'recreate the flow logs (aws ec2 create-flow-logs)',
      })),
    calls('route53resolver', 'DeleteResolverQueryLogConfig DisassociateResolverQueryLogConfig')
      .mean(1, 'DNS query logging removed', att('T1562.008'))
      .read(
        named(
          'resolver query log config',
          'resolverQueryLogConfigId',
          'recreate the query logging (aws route53resolver create-resolver-query-log-config)',
        ),
      ),
    calls('logs', 'DeleteLogGroup DeleteLogStream PutRetentionPolicy')
      .mean(1, 'logs deleted', att('T1562.008'))
      .read(
        named('log group', 'logGroupName', 'the deleted events are gone; recreate the group for new ones'),
      ),
    calls(
      'guardduty',
      'DeleteDetector UpdateDetector DisassociateFromMasterAccount DisassociateFromAdministratorAccount CreateFilter UpdateIPSet CreateIPSet',
    )
      .mean(1, 'GuardDuty disabled or blinded', pb('T1562.001'))
      .read((r) =>
        reviewed(
          one(
            r.eventName.includes('Filter') ? 'GuardDuty filter' : 'GuardDuty detector',
            str(r.params, 'detectorId'),
          ),
          'aws guardduty create-detector --enable, or re-enable it and delete filters and IP sets you did not make',
        ),
      ),
    calls('securityhub', 'DisableSecurityHub BatchDisableStandards DeleteInsight')
      .mean(1, 'Security Hub disabled', att('T1562.001'))
      .read((r) => ({
        items: [{ kind: 'Security Hub', id: r.region }],
        undo: [regional('securityhub', r.region, 'enable-security-hub')],
      })),
    calls('config', 'StopConfigurationRecorder DeleteConfigurationRecorder DeleteDeliveryChannel')
      .mean(1, 'AWS Config stopped', att('T1562.008'))
      .read((r) => {
        const name = str(r.params, 'configurationRecorderName') || str(r.params, 'deliveryChannelName');
        return r.eventName === 'StopConfigurationRecorder'
          ? one('configuration recorder', name, [
              regional(
                'configservice',
                r.region,
                'start-configuration-recorder',
                '--configuration-recorder-name',
                name,
              ),
            ])
          : {
              ...one(
                r.eventName === 'DeleteDeliveryChannel' ? 'delivery channel' : 'configuration recorder',
                name,
              ),
              review: 'recreate it from your baseline',
            };
      }),
    calls('organizations', 'LeaveOrganization')
      .mean(1, 'account left the organisation', att('T1666'))
      .read(() =>
        reviewed(
          one('organisation membership', 'this account'),
          "the organisation's SCPs and central logging no longer apply: invite the account back from the management account",
        ),
      ),
    calls('bedrock', 'DeleteModelInvocationLoggingConfiguration')
      .mean(1, 'Bedrock invocation logging removed', att('T1562.008'))
      .read((r) => ({
        items: [{ kind: 'Bedrock logging', id: r.region }],
        undo: [],
        review: 'aws bedrock put-model-invocation-logging-configuration',
      })),
    calls('access-analyzer', 'DeleteAnalyzer')
      .mean(2, 'IAM Access Analyzer deleted', att('T1562.001'))
      .read(named('analyzer', 'analyzerName')),
  ]),
  ...section('access', [
    calls('iam', 'CreateUser')
      .mean(1, 'IAM user created', pb('T1136.003'))
      .read((r) => {
        const u = str(r.params, 'userName') || str(r.response, 'user.userName');
        return {
          ...one('IAM user', u, [iam('delete-user', '--user-name', u)]),
          review:
            'delete-user fails until its keys, password, MFA devices, policies and groups are gone: the commands above them first',
        };
      }),
    calls('iam', 'CreateAccessKey')
      .mean(1, 'access key created', pb('T1098.001'))
      .read((r) => {
        const id = str(r.response, 'accessKey.accessKeyId');
        const u = str(r.response, 'accessKey.userName') || str(r.params, 'userName');
        const user = u ? ['--user-name', u] : [];
        return {
          items: [
            { kind: 'access key', id: id || '(id not recorded)', ...(u ? { detail: `of user ${u}` } : {}) },
          ],
          undo: id
            ? [
                iam('update-access-key', ...user, '--access-key-id', id, '--status', 'Inactive'),
                iam('delete-access-key', ...user, '--access-key-id', id),
              ]
            : [],
        };
      }),
    calls('iam', 'UpdateAccessKey')
      .mean(2, 'access key status changed', pb('T1098.001'))
      .read((r) => {
        const id = str(r.params, 'accessKeyId');
        const status = str(r.params, 'status');
        const u = str(r.params, 'userName');
        return one(
          'access key',
          id,
          status === 'Active'
            ? [
                iam(
                  'update-access-key',
                  ...(u ? ['--user-name', u] : []),
                  '--access-key-id',
                  id,
                  '--status',
                  'Inactive',
                ),
              ]
            : [],
          `set ${status}`,
        );
      }),
    calls('iam', 'CreateLoginProfile UpdateLoginProfile')
      .mean(1, 'console password set', pb('T1098.001'))
      .read((r) => {
        const u = str(r.params, 'userName') || str(r.response, 'loginProfile.userName');
        return one('login profile', u, [iam('delete-login-profile', '--user-name', u)]);
      }),
    calls('iam', 'CreateVirtualMFADevice EnableMFADevice ResyncMFADevice')
      .mean(1, 'MFA device registered', att('T1556.006'))
      .read((r) => {
        const serial =
          str(r.params, 'serialNumber') ||
          str(r.response, 'virtualMFADevice.serialNumber') ||
          str(r.params, 'virtualMFADeviceName');
        const u = str(r.params, 'userName');
        return one(
          'MFA device',
          serial,
          r.eventName === 'EnableMFADevice' && u
            ? [iam('deactivate-mfa-device', '--user-name', u, '--serial-number', serial)]
            : serial.startsWith('arn:')
              ? [iam('delete-virtual-mfa-device', '--serial-number', serial)]
              : [],
          u ? `user ${u}` : undefined,
        );
      }),
    calls('iam', 'DeactivateMFADevice DeleteVirtualMFADevice')
      .mean(1, 'MFA device removed', att('T1556.006'))
      .read((r) =>
        reviewed(
          one(
            'MFA device',
            str(r.params, 'serialNumber'),
            [],
            str(r.params, 'userName') ? `user ${str(r.params, 'userName')}` : undefined,
          ),
          "re-enrol the owner's MFA device",
        ),
      ),
    calls('iam', 'AttachUserPolicy AttachRolePolicy AttachGroupPolicy')
      .mean(1, 'policy attached', pb('T1098.003'))
      .read(attachPolicy),
    calls('iam', 'PutUserPolicy PutRolePolicy PutGroupPolicy')
      .mean(1, 'inline policy put', pb('T1098.003'))
      .read(putPolicy),
    calls('iam', 'AddUserToGroup')
      .mean(1, 'user added to group', pb('T1098.003'))
      .read((r) => {
        const u = str(r.params, 'userName');
        const g = str(r.params, 'groupName');
        return one(`group membership of ${u}`, g, [
          iam('remove-user-from-group', '--group-name', g, '--user-name', u),
        ]);
      }),
    calls('iam', 'CreatePolicy')
      .mean(2, 'managed policy created', pb('T1098.003'))
      .read((r) => {
        const arn = str(r.response, 'policy.arn');
        return arn
          ? one('managed policy', arn, [iam('delete-policy', '--policy-arn', arn)])
          : one('managed policy', str(r.params, 'policyName'));
      }),
    calls('iam', 'CreatePolicyVersion SetDefaultPolicyVersion')
      .mean(1, 'policy version made default', att('T1098.003'))
      .read((r) => {
        const arn = str(r.params, 'policyArn');
        const v = str(r.response, 'policyVersion.versionId') || str(r.params, 'versionId');
        return {
          items: [{ kind: 'policy version', id: arn, ...(v ? { detail: v } : {}) }],
          undo: [],
          review: `set the earlier default back (aws iam set-default-policy-version), then aws iam delete-policy-version${v ? ` --version-id ${v}` : ''}`,
        };
      }),
    calls('iam', 'CreateRole')
      .mean(1, 'role created', pb('T1098.003'))
      .read((r) => {
        const name = str(r.params, 'roleName');
        return {
          ...one('IAM role', name, [iam('delete-role', '--role-name', name)]),
          review: 'delete-role fails until its policies are detached and it is out of instance profiles',
        };
      }),
    calls('iam', 'UpdateAssumeRolePolicy')
      .mean(1, 'role trust policy changed', pb('T1098.003'))
      .read(
        named(
          'role trust policy',
          'roleName',
          'restore the trust policy from your baseline (aws iam update-assume-role-policy)',
        ),
      ),
    calls('iam', 'CreateInstanceProfile')
      .mean(2, 'instance profile created', att('T1098.003'))
      .read(
        undone('instance profile', 'instanceProfileName', (id) =>
          iam('delete-instance-profile', '--instance-profile-name', id),
        ),
      ),
    calls('iam', 'AddRoleToInstanceProfile')
      .mean(2, 'role put in instance profile', att('T1098.003'))
      .read((r) => {
        const n = str(r.params, 'instanceProfileName');
        const role = str(r.params, 'roleName');
        return one(
          'instance profile',
          n,
          [iam('remove-role-from-instance-profile', '--instance-profile-name', n, '--role-name', role)],
          `role ${role}`,
        );
      }),
    calls(
      'iam',
      'CreateOpenIDConnectProvider CreateSAMLProvider UpdateSAMLProvider AddClientIDToOpenIDConnectProvider',
    )
      .mean(1, 'identity provider trusted', att('T1484.002'))
      .read((r) => {
        const oidc = str(r.response, 'openIDConnectProviderArn') || str(r.params, 'openIDConnectProviderArn');
        const saml = str(r.response, 'sAMLProviderArn') || str(r.params, 'sAMLProviderArn');
        if (oidc)
          return one(
            'OIDC provider',
            oidc,
            [iam('delete-open-id-connect-provider', '--open-id-connect-provider-arn', oidc)],
            str(r.params, 'url') || undefined,
          );
        if (saml)
          return one('SAML provider', saml, [iam('delete-saml-provider', '--saml-provider-arn', saml)]);
        return one('identity provider', str(r.params, 'url') || str(r.params, 'name'));
      }),
    calls('rolesanywhere', 'CreateTrustAnchor CreateProfile UpdateTrustAnchor EnableTrustAnchor')
      .mean(1, 'Roles Anywhere trust created', att('T1098.001'))
      .read((r) => {
        const anchor = str(r.response, 'trustAnchor.trustAnchorId') || str(r.params, 'trustAnchorId');
        const profile = str(r.response, 'profile.profileId');
        if (profile)
          return one(
            'Roles Anywhere profile',
            profile,
            [regional('rolesanywhere', r.region, 'delete-profile', '--profile-id', profile)],
            str(r.params, 'name') || undefined,
          );
        return one(
          'Roles Anywhere trust anchor',
          anchor,
          [regional('rolesanywhere', r.region, 'delete-trust-anchor', '--trust-anchor-id', anchor)],
          str(r.params, 'name') || undefined,
        );
      }),
    calls('iam', 'UploadSSHPublicKey')
      .mean(1, 'SSH key uploaded (CodeCommit)', att('T1098.004'))
      .read(
        userCredential(
          'SSH public key',
          'sSHPublicKey.sSHPublicKeyId',
          'delete-ssh-public-key',
          '--ssh-public-key-id',
          (u) => `user ${u}`,
        ),
      ),
    calls('iam', 'CreateServiceSpecificCredential')
      .mean(1, 'service-specific credential created', att('T1098.001'))
      .read(
        userCredential(
          'service-specific credential',
          'serviceSpecificCredential.serviceSpecificCredentialId',
          'delete-service-specific-credential',
          '--service-specific-credential-id',
          (u, r) => `${str(r.params, 'serviceName')} for user ${u}`,
        ),
      ),
    calls('lambda', 'AddPermission AddLayerVersionPermission')
      .mean(1, 'Lambda invoke permission granted', att('T1546'))
      .read((r) => {
        const fn = str(r.params, 'functionName') || str(r.params, 'layerName');
        const sid = str(r.params, 'statementId');
        const grant = `${str(r.params, 'principal')} may ${str(r.params, 'action')}`;
        const undo = ['remove-permission', '--function-name', fn, '--statement-id', sid];
        return one('Lambda permission', fn, [regional('lambda', r.region, ...undo)], grant);
      }),
    calls('signin', 'ConsoleLogin GetSigninToken')
      .mean(1, 'console sign-in', pb('T1078.004'))
      .read((r) => ({
        items: [{ kind: 'console session', id: str(r.response, 'ConsoleLogin') || r.eventName }],
        undo: [],
      })),
  ]),
  ...section('temporary-credentials', [
    calls('sts', 'AssumeRole AssumeRoleWithSAML AssumeRoleWithWebIdentity GetSessionToken GetFederationToken')
      .mean(2, 'temporary credentials minted', pb('T1550.001'))
      .read((r) => {
        const key = str(r.response, 'credentials.accessKeyId');
        const role = str(r.params, 'roleArn');
        const name = str(r.params, 'roleSessionName') || str(r.params, 'name');
        const expiry = str(r.response, 'credentials.expiration');
        return noted(
          'session key',
          key || '(id not recorded)',
          [role && `role ${role}`, name && `session ${name}`, expiry && `expires ${expiry}`]
            .filter(Boolean)
            .join(', '),
        );
      }),
  ]),
  ...section('execution', [
    calls('ssm', 'SendCommand')
      .mean(1, 'command run on instances', att('T1651'))
      .read((r) => {
        const id = str(r.response, 'command.commandId');
        const targets = strings(list(r.params, 'instanceIds'));
        return reviewed(
          noted(
            'SSM command',
            id || str(r.params, 'documentName'),
            `${str(r.params, 'documentName')} on ${targets.join(', ') || 'targets by tag'}`,
          ),
          'read what ran: aws ssm list-command-invocations --details',
        );
      }),
    calls('ssm', 'StartSession ResumeSession')
      .mean(1, 'shell session on an instance', att('T1651'))
      .read((r) => {
        const sid = str(r.response, 'sessionId') || str(r.params, 'sessionId');
        return one(
          'SSM session',
          sid,
          sid ? [regional('ssm', r.region, 'terminate-session', '--session-id', sid)] : [],
          `target ${str(r.params, 'target')}`,
        );
      }),
    calls('ec2-instance-connect', 'SendSSHPublicKey SendSerialConsoleSSHPublicKey')
      .mean(1, 'SSH key pushed to an instance', att('T1098.004'))
      .read((r) =>
        one(
          'EC2 instance',
          str(r.params, 'instanceId'),
          [],
          `as ${str(r.params, 'instanceOSUser') || 'default user'}`,
        ),
      ),
    calls('ec2', 'ModifyInstanceAttribute')
      .mean(1, 'instance attribute changed (user data runs at next start)', att('T1059'))
      .read((r) => {
        const attr = Object.keys(r.params)
          .filter((k) => k !== 'instanceId')
          .join(', ');
        return {
          ...one('EC2 instance', str(r.params, 'instanceId'), [], attr || undefined),
          review: 'inspect: aws ec2 describe-instance-attribute --attribute userData',
        };
      }),
  ]),
  ...section('resources', [
    calls('ec2', 'RunInstances')
      .mean(2, 'instances launched', pb('T1578.002'))
      .read((r) => {
        const ids = list(r.response, 'instancesSet')
          .map((i) => ({ id: str(i, 'instanceId'), type: str(i, 'instanceType') }))
          .filter((i) => i.id);
        const type = str(r.params, 'instanceType');
        // A failed launch has no response: say what was asked for, when the request says it.
        if (ids.length === 0)
          return type
            ? one('EC2 instances', `${str(r.params, 'instancesSet.items.0.maxCount') || '?'} × ${type}`)
            : one('', '');
        return {
          items: ids.map((i) => ({ kind: 'EC2 instance', id: i.id, detail: i.type || type })),
          undo: [ec2(r.region, 'terminate-instances', '--instance-ids', ...ids.map((i) => i.id))],
        };
      }),
    calls('ec2', 'StartInstances')
      .mean(3, 'instances started', pb('T1578'))
      .read((r) => {
        const ids = strings(list(r.params, 'instancesSet').map((i) => str(i, 'instanceId')));
        return {
          items: ids.map((id) => ({ kind: 'EC2 instance', id })),
          undo: ids.length ? [ec2(r.region, 'stop-instances', '--instance-ids', ...ids)] : [],
        };
      }),
    calls('ec2', 'RequestSpotInstances')
      .mean(2, 'spot instances requested', pb('T1496'))
      .read((r) => {
        const ids = strings(
          list(r.response, 'spotInstanceRequestSet').map((i) => str(i, 'spotInstanceRequestId')),
        );
        return {
          items: ids.map((id) => ({ kind: 'spot request', id })),
          undo: ids.length
            ? [ec2(r.region, 'cancel-spot-instance-requests', '--spot-instance-request-ids', ...ids)]
            : [],
        };
      }),
    calls('ec2', 'RequestSpotFleet')
      .mean(2, 'spot fleet requested', pb('T1496'))
      .read((r) => {
        const id =
          str(r.response, 'RequestSpotFleetResponse.spotFleetRequestId') ||
          str(r.response, 'spotFleetRequestId');
        return one('spot fleet', id, [
          ec2(
            r.region,
            'cancel-spot-fleet-requests',
            '--terminate-instances',
            '--spot-fleet-request-ids',
            id,
          ),
        ]);
      }),
    calls('ec2', 'CreateFleet')
      .mean(2, 'EC2 fleet created', att('T1496'))
      .read((r) => {
        const id = str(r.response, 'CreateFleetResponse.fleetId') || str(r.response, 'fleetId');
        return one('EC2 fleet', id, [
          ec2(r.region, 'delete-fleets', '--terminate-instances', '--fleet-ids', id),
        ]);
      }),
    calls('autoscaling', 'CreateAutoScalingGroup UpdateAutoScalingGroup')
      .mean(2, 'auto-scaling group created', att('T1496'))
      .read((r) => {
        const n = str(r.params, 'autoScalingGroupName');
        return one(
          'auto-scaling group',
          n,
          [
            regional(
              'autoscaling',
              r.region,
              'delete-auto-scaling-group',
              '--force-delete',
              '--auto-scaling-group-name',
              n,
            ),
          ],
          `max ${str(r.params, 'maxSize') || '?'}`,
        );
      }),
    calls('lambda', 'CreateFunction')
      .mean(2, 'Lambda function created', att('T1648'))
      .read((r) => {
        const n = str(r.params, 'functionName') || str(r.response, 'functionName');
        const role = str(r.params, 'role');
        return one(
          'Lambda function',
          n,
          [regional('lambda', r.region, 'delete-function', '--function-name', n)],
          role ? `role ${role}` : undefined,
        );
      }),
    calls('lambda', 'UpdateFunctionCode UpdateFunctionConfiguration')
      .mean(1, 'Lambda function changed', att('T1648'))
      .read((r) =>
        reviewed(
          one('Lambda function', str(r.params, 'functionName') || str(r.response, 'functionName')),
          'redeploy the function from your source of truth; compare aws lambda get-function',
        ),
      ),
    calls('ecs', 'RunTask CreateService RegisterTaskDefinition')
      .mean(2, 'ECS task started', att('T1610'))
      .read((r) => {
        const cluster = str(r.params, 'cluster') || 'default';
        const tasks = strings(list(r.response, 'tasks').map((t) => str(t, 'taskArn')));
        if (r.eventName === 'RegisterTaskDefinition')
          return one(
            'ECS task definition',
            str(r.response, 'taskDefinition.taskDefinitionArn') || str(r.params, 'family'),
          );
        if (r.eventName === 'CreateService') {
          const s = str(r.params, 'serviceName');
          return one('ECS service', s, [
            regional('ecs', r.region, 'delete-service', '--force', '--cluster', cluster, '--service', s),
          ]);
        }
        return {
          items: tasks.map((id) => ({ kind: 'ECS task', id, detail: str(r.params, 'taskDefinition') })),
          undo: tasks.map((t) => regional('ecs', r.region, 'stop-task', '--cluster', cluster, '--task', t)),
        };
      }),
    calls('ec2', 'AuthorizeSecurityGroupIngress')
      .mean(1, 'security group opened', att('T1562.007'))
      .read((r) => {
        const g = str(r.params, 'groupId') || str(r.params, 'groupName');
        const perms = list(r.params, 'ipPermissions').map((p) => {
          const from = str(p, 'fromPort');
          const to = str(p, 'toPort');
          const cidrs = [
            ...list(p, 'ipRanges').map((c) => str(c, 'cidrIp')),
            ...list(p, 'ipv6Ranges').map((c) => str(c, 'cidrIpv6')),
          ].filter(Boolean);
          return `${str(p, 'ipProtocol')} ${from === to ? from : `${from}-${to}`} from ${cidrs.join(', ') || 'a group'}`;
        });
        const rules = strings(
          list(r.response, 'securityGroupRuleSet').map((x) => str(x, 'securityGroupRuleId')),
        );
        return one(
          'security group',
          g,
          rules.length
            ? [
                ec2(
                  r.region,
                  'revoke-security-group-ingress',
                  '--group-id',
                  g,
                  '--security-group-rule-ids',
                  ...rules,
                ),
              ]
            : [],
          perms.join('; '),
        );
      }),
    calls('s3', 'PutBucketPolicy')
      .mean(1, 'bucket policy replaced', att('T1537'))
      .read((r) => {
        const b = str(r.params, 'bucketName');
        return {
          ...one('S3 bucket', b, [['aws', 's3api', 'delete-bucket-policy', '--bucket', b]]),
          review: 'restore the earlier policy from your baseline if there was one',
        };
      }),
    calls('s3', 'PutBucketAcl PutObjectAcl')
      .mean(1, 'bucket ACL changed', att('T1537'))
      .read((r) => {
        const b = str(r.params, 'bucketName');
        return one('S3 bucket', b, [['aws', 's3api', 'put-bucket-acl', '--bucket', b, '--acl', 'private']]);
      }),
    calls(
      's3',
      'DeleteBucketPublicAccessBlock PutBucketPublicAccessBlock DeletePublicAccessBlock DeleteAccountPublicAccessBlock',
    )
      .mean(1, 'public access block removed', att('T1537'))
      .read((r) => {
        const b = str(r.params, 'bucketName');
        return one('S3 bucket', b, [
          [
            'aws',
            's3api',
            'put-public-access-block',
            '--bucket',
            b,
            '--public-access-block-configuration',
            'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
          ],
        ]);
      }),
    calls('ec2', 'ModifySnapshotAttribute')
      .mean(1, 'snapshot shared', att('T1537'))
      .read((r) => {
        const id = str(r.params, 'snapshotId');
        const whom = sharedWith(list(r.params, 'createVolumePermission.add'));
        const accounts = whom.filter((w) => /^\d{12}$/.test(w));
        // Accounts are removed by id; a public share ("everyone") by the `all` group.
        const remove = accounts.length
          ? ['--user-ids', ...accounts]
          : whom.length
            ? ['--group-names', 'all']
            : null;
        return shared(
          'EBS snapshot',
          id,
          whom,
          remove &&
            ec2(
              r.region,
              'modify-snapshot-attribute',
              '--snapshot-id',
              id,
              '--attribute',
              'createVolumePermission',
              '--operation-type',
              'remove',
              ...remove,
            ),
        );
      }),
    calls('ec2', 'ModifyImageAttribute')
      .mean(1, 'AMI shared', att('T1537'))
      .read((r) => {
        const id = str(r.params, 'imageId');
        const adds = list(r.params, 'launchPermission.add');
        const whom = sharedWith(adds);
        const spec = adds
          .map((a) =>
            str(a, 'userId')
              ? `{UserId=${str(a, 'userId')}}`
              : str(a, 'group')
                ? `{Group=${str(a, 'group')}}`
                : '',
          )
          .filter(Boolean);
        return shared(
          'AMI',
          id,
          whom,
          spec.length
            ? ec2(
                r.region,
                'modify-image-attribute',
                '--image-id',
                id,
                '--launch-permission',
                `Remove=[${spec.join(',')}]`,
              )
            : null,
        );
      }),
    calls('rds', 'ModifyDBSnapshotAttribute ModifyDBClusterSnapshotAttribute')
      .mean(1, 'DB snapshot shared', att('T1537'))
      .read((r) => {
        const cluster = r.eventName === 'ModifyDBClusterSnapshotAttribute';
        const id = str(r.params, cluster ? 'dBClusterSnapshotIdentifier' : 'dBSnapshotIdentifier');
        const whom = strings(list(r.params, 'valuesToAdd'));
        return shared(
          cluster ? 'DB cluster snapshot' : 'DB snapshot',
          id,
          whom,
          whom.length
            ? regional(
                'rds',
                r.region,
                cluster ? 'modify-db-cluster-snapshot-attribute' : 'modify-db-snapshot-attribute',
                cluster ? '--db-cluster-snapshot-identifier' : '--db-snapshot-identifier',
                id,
                '--attribute-name',
                'restore',
                '--values-to-remove',
                ...whom,
              )
            : null,
        );
      }),
    calls('ec2', 'CreateKeyPair ImportKeyPair')
      .mean(2, 'key pair added', att('T1098.004'))
      .read(
        undone('EC2 key pair', 'keyName', (id, region) => ec2(region, 'delete-key-pair', '--key-name', id)),
      ),
    calls(
      'ses',
      'UpdateAccountSendingEnabled VerifyEmailIdentity VerifyDomainIdentity CreateEmailIdentity PutAccountDetails PutAccountSendingAttributes',
    )
      .mean(2, 'SES sending enabled', att('T1496.004'))
      .read((r) => ({
        items: [
          {
            kind: 'SES',
            id:
              str(r.params, 'emailAddress') ||
              str(r.params, 'domain') ||
              str(r.params, 'emailIdentity') ||
              r.region,
            ...(r.eventName === 'UpdateAccountSendingEnabled'
              ? { detail: `sending ${String(at(r.params, 'enabled'))}` }
              : {}),
          },
        ],
        undo:
          r.eventName === 'UpdateAccountSendingEnabled'
            ? [regional('ses', r.region, 'update-account-sending-enabled', '--no-enabled')]
            : [],
        review: 'check what was sent: SES sending statistics and suppression list',
      })),
    calls(
      'bedrock',
      'InvokeModel InvokeModelWithResponseStream Converse ConverseStream PutFoundationModelEntitlement PutUseCaseForModelAccess CreateFoundationModelAgreement',
    )
      .mean(2, 'Bedrock models used', att('T1496.004'))
      .read((r) => ({
        items: [{ kind: 'Bedrock model', id: str(r.params, 'modelId') || r.eventName }],
        undo: [],
        review: 'check Bedrock charges in Cost Explorer',
      })),
    calls('lightsail', 'CreateInstances')
      .mean(2, 'Lightsail instances created', att('T1578.002'))
      .read((r) => {
        const names = strings(list(r.params, 'instanceNames'));
        return {
          items: names.map((id) => ({ kind: 'Lightsail instance', id })),
          undo: names.map((n) => regional('lightsail', r.region, 'delete-instance', '--instance-name', n)),
        };
      }),
  ]),
  ...section('data', [
    calls('secretsmanager', 'GetSecretValue BatchGetSecretValue')
      .mean(2, 'secrets read: rotate these', pb('T1555.006'))
      .read((r) => {
        const ids = [str(r.params, 'secretId'), ...strings(list(r.params, 'secretIdList'))].filter(Boolean);
        return {
          items: ids.map((id) => ({ kind: 'secret', id })),
          undo: ids.map((id) => regional('secretsmanager', r.region, 'rotate-secret', '--secret-id', id)),
        };
      }),
    calls('ssm', 'GetParameter GetParameters GetParametersByPath GetParameterHistory')
      .mean(2, 'parameters read: rotate these', pb('T1555.006'))
      .read((r) => {
        const names = [
          str(r.params, 'name'),
          ...strings(list(r.params, 'names')),
          str(r.params, 'path') && `${str(r.params, 'path')} (all below)`,
        ].filter(Boolean);
        const dec = at(r.params, 'withDecryption') === true ? 'decrypted' : undefined;
        return {
          items: names.map((id) => ({ kind: 'SSM parameter', id, ...(dec ? { detail: dec } : {}) })),
          undo: [],
        };
      }),
    calls('kms', 'Decrypt GenerateDataKey ReEncrypt')
      .mean(2, 'data decrypted with KMS', att('T1552'))
      .read((r) =>
        one(
          'KMS key',
          str(r.params, 'keyId') ||
            str(r.response, 'keyId') ||
            r.resources.find((x) => x.ResourceType === 'AWS::KMS::Key')?.ResourceName ||
            '(key in the ciphertext)',
        ),
      ),
    calls('ec2', 'GetPasswordData')
      .mean(1, 'Windows administrator password read: rotate it', att('T1552'))
      .read(named('EC2 instance', 'instanceId')),
    calls('s3', 'GetObject')
      .mean(3, 'objects read', pb('T1530'))
      .read((r) => one('S3 object', `${str(r.params, 'bucketName')}/${str(r.params, 'key')}`)),
  ]),
];

const INDEX = new Map<string, CatalogEntry>();
for (const e of CATALOG) for (const n of e.names) INDEX.set(`${e.source} ${n}`, e);

/** Lambda records API versions in the name (CreateFunction20150331, UpdateFunctionCode20150331v2). */
export function baseName(eventSource: string, eventName: string): string {
  return eventSource === 'lambda.amazonaws.com' ? eventName.replace(/\d{8}(v\d+)?$/, '') : eventName;
}

export function entryFor(eventSource: string, eventName: string): CatalogEntry | undefined {
  return INDEX.get(`${eventSource} ${baseName(eventSource, eventName)}`);
}

/** Reads: counted, never listed. (GetSecretValue and friends are in the table, so they are not these.) */
export function isReadOnlyName(eventName: string): boolean {
  return /^(Get|List|Describe|Lookup|Search|Head|Check|Validate|Preview|Simulate|Estimate|Query|Scan|BatchGet|Select|View|Test)[A-Z]?/.test(
    eventName,
  );
}

/** Failures that show what the holder of the key tried and was refused: worth a count by call. */
export function isDenied(errorCode: string): boolean {
  return /AccessDenied|UnauthorizedOperation|NotAuthorized|Unauthorized|Forbidden|AuthFailure|OptInRequired|SubscriptionRequired/i.test(
    errorCode,
  );
}
