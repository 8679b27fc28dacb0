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

const iam = (...args: string[]) => ['aws', 'iam', ...args];
const regional =
  (service: string) =>
  (region: string, ...args: string[]) => ['aws', service, '--region', region, ...args];
const ec2 = regional('ec2');

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

/**
 * The table. Calls of one source and name match one entry; Lambda's dated names
 * (`CreateFunction20150331`) are matched without their date.
 */
export const CATALOG: CatalogEntry[] = [
  // ---- defense evasion ----
  {
    source: 'cloudtrail.amazonaws.com',
    names: ['StopLogging'],
    category: 'defense-evasion',
    severity: 1,
    what: 'trail stopped',
    cite: `${PB}; ATT&CK T1562.008`,
    read: (r) =>
      one('trail', str(r.params, 'name'), [
        ['aws', 'cloudtrail', '--region', r.region, 'start-logging', '--name', str(r.params, 'name')],
      ]),
  },
  {
    source: 'cloudtrail.amazonaws.com',
    names: ['DeleteTrail'],
    category: 'defense-evasion',
    severity: 1,
    what: 'trail deleted',
    cite: `${PB}; ATT&CK T1562.008`,
    read: (r) => ({
      ...one('trail', str(r.params, 'name')),
      review: 'recreate the trail (aws cloudtrail create-trail) with its bucket and settings',
    }),
  },
  {
    source: 'cloudtrail.amazonaws.com',
    names: ['UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors', 'DeleteEventDataStore'],
    category: 'defense-evasion',
    severity: 1,
    what: 'trail re-scoped',
    cite: `${PB}; ATT&CK T1562.008`,
    read: (r) => ({
      ...one(
        r.eventName === 'DeleteEventDataStore' ? 'event data store' : 'trail',
        str(r.params, 'name') || str(r.params, 'trailName') || str(r.params, 'eventDataStore'),
      ),
      review: 'compare the trail with your baseline: aws cloudtrail get-trail / get-event-selectors',
    }),
  },
  {
    source: 'ec2.amazonaws.com',
    names: ['DeleteFlowLogs'],
    category: 'defense-evasion',
    severity: 1,
    what: 'VPC flow logs deleted',
    cite: 'ATT&CK T1562.008',
    read: (r) => ({
      // The query API's list arrives as one `{ content, tag }` or an array of them.
      items: strings(
        [at(r.params, 'DeleteFlowLogsRequest.FlowLogId')]
          .flat()
          .map((x) => (typeof x === 'string' ? x : str(x, 'content'))),
      ).map((id) => ({ kind: 'flow log', id })),
      undo: [],
      review: 'recreate the flow logs (aws ec2 create-flow-logs)',
    }),
  },
  {
    source: 'route53resolver.amazonaws.com',
    names: ['DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'],
    category: 'defense-evasion',
    severity: 1,
    what: 'DNS query logging removed',
    cite: 'ATT&CK T1562.008',
    read: (r) => ({
      ...one('resolver query log config', str(r.params, 'resolverQueryLogConfigId')),
      review: 'recreate the query logging (aws route53resolver create-resolver-query-log-config)',
    }),
  },
  {
    source: 'logs.amazonaws.com',
    names: ['DeleteLogGroup', 'DeleteLogStream', 'PutRetentionPolicy'],
    category: 'defense-evasion',
    severity: 1,
    what: 'logs deleted',
    cite: 'ATT&CK T1562.008',
    read: (r) => ({
      ...one('log group', str(r.params, 'logGroupName')),
      review: 'the deleted events are gone; recreate the group for new ones',
    }),
  },
  {
    source: 'guardduty.amazonaws.com',
    names: [
      'DeleteDetector',
      'UpdateDetector',
      'DisassociateFromMasterAccount',
      'DisassociateFromAdministratorAccount',
      'CreateFilter',
      'UpdateIPSet',
      'CreateIPSet',
    ],
    category: 'defense-evasion',
    severity: 1,
    what: 'GuardDuty disabled or blinded',
    cite: `${PB}; ATT&CK T1562.001`,
    read: (r) => ({
      ...one(
        r.eventName.includes('Filter') ? 'GuardDuty filter' : 'GuardDuty detector',
        str(r.params, 'detectorId'),
      ),
      review:
        'aws guardduty create-detector --enable, or re-enable it and delete filters and IP sets you did not make',
    }),
  },
  {
    source: 'securityhub.amazonaws.com',
    names: ['DisableSecurityHub', 'BatchDisableStandards', 'DeleteInsight'],
    category: 'defense-evasion',
    severity: 1,
    what: 'Security Hub disabled',
    cite: 'ATT&CK T1562.001',
    read: (r) => ({
      items: [{ kind: 'Security Hub', id: r.region }],
      undo: [['aws', 'securityhub', '--region', r.region, 'enable-security-hub']],
    }),
  },
  {
    source: 'config.amazonaws.com',
    names: ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'],
    category: 'defense-evasion',
    severity: 1,
    what: 'AWS Config stopped',
    cite: 'ATT&CK T1562.008',
    read: (r) => {
      const name = str(r.params, 'configurationRecorderName') || str(r.params, 'deliveryChannelName');
      return r.eventName === 'StopConfigurationRecorder'
        ? one('configuration recorder', name, [
            [
              'aws',
              'configservice',
              '--region',
              r.region,
              'start-configuration-recorder',
              '--configuration-recorder-name',
              name,
            ],
          ])
        : {
            ...one(
              r.eventName === 'DeleteDeliveryChannel' ? 'delivery channel' : 'configuration recorder',
              name,
            ),
            review: 'recreate it from your baseline',
          };
    },
  },
  {
    source: 'organizations.amazonaws.com',
    names: ['LeaveOrganization'],
    category: 'defense-evasion',
    severity: 1,
    what: 'account left the organisation',
    cite: 'ATT&CK T1666',
    read: () => ({
      items: [{ kind: 'organisation membership', id: 'this account' }],
      undo: [],
      review:
        "the organisation's SCPs and central logging no longer apply: invite the account back from the management account",
    }),
  },
  {
    source: 'access-analyzer.amazonaws.com',
    names: ['DeleteAnalyzer'],
    category: 'defense-evasion',
    severity: 2,
    what: 'IAM Access Analyzer deleted',
    cite: 'ATT&CK T1562.001',
    read: (r) => one('analyzer', str(r.params, 'analyzerName')),
  },
  {
    source: 'bedrock.amazonaws.com',
    names: ['DeleteModelInvocationLoggingConfiguration'],
    category: 'defense-evasion',
    severity: 1,
    what: 'Bedrock invocation logging removed',
    cite: 'ATT&CK T1562.008',
    read: (r) => ({
      items: [{ kind: 'Bedrock logging', id: r.region }],
      undo: [],
      review: 'aws bedrock put-model-invocation-logging-configuration',
    }),
  },

  // ---- access created or changed ----
  {
    source: 'iam.amazonaws.com',
    names: ['CreateUser'],
    category: 'access',
    severity: 1,
    what: 'IAM user created',
    cite: `${PB}; ATT&CK T1136.003`,
    read: (r) => {
      const u = str(r.params, 'userName') || str(r.response, 'user.userName');
      return {
        ...one('IAM user', u, [iam('delete-user', '--user-name', u)]),
        review:
          'delete-user fails until its keys, password, MFA devices, policies and groups are gone: the commands above them first',
      };
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: ['CreateAccessKey'],
    category: 'access',
    severity: 1,
    what: 'access key created',
    cite: `${PB}; ATT&CK T1098.001`,
    read: (r) => {
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
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: ['UpdateAccessKey'],
    category: 'access',
    severity: 2,
    what: 'access key status changed',
    cite: `${PB}; ATT&CK T1098.001`,
    read: (r) => {
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
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: ['CreateLoginProfile', 'UpdateLoginProfile'],
    category: 'access',
    severity: 1,
    what: 'console password set',
    cite: `${PB}; ATT&CK T1098.001`,
    read: (r) => {
      const u = str(r.params, 'userName') || str(r.response, 'loginProfile.userName');
      return one('login profile', u, [iam('delete-login-profile', '--user-name', u)]);
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: ['CreateVirtualMFADevice', 'EnableMFADevice', 'ResyncMFADevice'],
    category: 'access',
    severity: 1,
    what: 'MFA device registered',
    cite: 'ATT&CK T1556.006',
    read: (r) => {
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
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: ['DeactivateMFADevice', 'DeleteVirtualMFADevice'],
    category: 'access',
    severity: 1,
    what: 'MFA device removed',
    cite: 'ATT&CK T1556.006',
    read: (r) => ({
      ...one(
        'MFA device',
        str(r.params, 'serialNumber'),
        [],
        str(r.params, 'userName') ? `user ${str(r.params, 'userName')}` : undefined,
      ),
      review: "re-enrol the owner's MFA device",
    }),
  },
  {
    source: 'iam.amazonaws.com',
    names: ['AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy'],
    category: 'access',
    severity: 1,
    what: 'policy attached',
    cite: `${PB}; ATT&CK T1098.003`,
    read: attachPolicy,
  },
  {
    source: 'iam.amazonaws.com',
    names: ['PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy'],
    category: 'access',
    severity: 1,
    what: 'inline policy put',
    cite: `${PB}; ATT&CK T1098.003`,
    read: putPolicy,
  },
  {
    source: 'iam.amazonaws.com',
    names: ['AddUserToGroup'],
    category: 'access',
    severity: 1,
    what: 'user added to group',
    cite: `${PB}; ATT&CK T1098.003`,
    read: (r) => {
      const u = str(r.params, 'userName');
      const g = str(r.params, 'groupName');
      return one(`group membership of ${u}`, g, [
        iam('remove-user-from-group', '--group-name', g, '--user-name', u),
      ]);
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: ['CreatePolicy'],
    category: 'access',
    severity: 2,
    what: 'managed policy created',
    cite: `${PB}; ATT&CK T1098.003`,
    read: (r) => {
      const arn = str(r.response, 'policy.arn');
      return arn
        ? one('managed policy', arn, [iam('delete-policy', '--policy-arn', arn)])
        : one('managed policy', str(r.params, 'policyName'));
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: ['CreatePolicyVersion', 'SetDefaultPolicyVersion'],
    category: 'access',
    severity: 1,
    what: 'policy version made default',
    cite: 'ATT&CK T1098.003',
    read: (r) => {
      const arn = str(r.params, 'policyArn');
      const v = str(r.response, 'policyVersion.versionId') || str(r.params, 'versionId');
      return {
        items: [{ kind: 'policy version', id: arn, ...(v ? { detail: v } : {}) }],
        undo: [],
        review: `set the earlier default back (aws iam set-default-policy-version), then aws iam delete-policy-version${v ? ` --version-id ${v}` : ''}`,
      };
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: ['CreateRole'],
    category: 'access',
    severity: 1,
    what: 'role created',
    cite: `${PB}; ATT&CK T1098.003`,
    read: (r) => {
      const name = str(r.params, 'roleName');
      return {
        ...one('IAM role', name, [iam('delete-role', '--role-name', name)]),
        review: 'delete-role fails until its policies are detached and it is out of instance profiles',
      };
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: ['UpdateAssumeRolePolicy'],
    category: 'access',
    severity: 1,
    what: 'role trust policy changed',
    cite: `${PB}; ATT&CK T1098.003`,
    read: (r) => ({
      ...one('role trust policy', str(r.params, 'roleName')),
      review: 'restore the trust policy from your baseline (aws iam update-assume-role-policy)',
    }),
  },
  {
    source: 'iam.amazonaws.com',
    names: ['CreateInstanceProfile'],
    category: 'access',
    severity: 2,
    what: 'instance profile created',
    cite: 'ATT&CK T1098.003',
    read: (r) => {
      const n = str(r.params, 'instanceProfileName');
      return one('instance profile', n, [iam('delete-instance-profile', '--instance-profile-name', n)]);
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: ['AddRoleToInstanceProfile'],
    category: 'access',
    severity: 2,
    what: 'role put in instance profile',
    cite: 'ATT&CK T1098.003',
    read: (r) => {
      const n = str(r.params, 'instanceProfileName');
      const role = str(r.params, 'roleName');
      return one(
        'instance profile',
        n,
        [iam('remove-role-from-instance-profile', '--instance-profile-name', n, '--role-name', role)],
        `role ${role}`,
      );
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: [
      'CreateOpenIDConnectProvider',
      'CreateSAMLProvider',
      'UpdateSAMLProvider',
      'AddClientIDToOpenIDConnectProvider',
    ],
    category: 'access',
    severity: 1,
    what: 'identity provider trusted',
    cite: 'ATT&CK T1484.002',
    read: (r) => {
      const oidc = str(r.response, 'openIDConnectProviderArn') || str(r.params, 'openIDConnectProviderArn');
      const saml = str(r.response, 'sAMLProviderArn') || str(r.params, 'sAMLProviderArn');
      if (oidc)
        return one(
          'OIDC provider',
          oidc,
          [iam('delete-open-id-connect-provider', '--open-id-connect-provider-arn', oidc)],
          str(r.params, 'url') || undefined,
        );
      if (saml) return one('SAML provider', saml, [iam('delete-saml-provider', '--saml-provider-arn', saml)]);
      return one('identity provider', str(r.params, 'url') || str(r.params, 'name'));
    },
  },
  {
    source: 'rolesanywhere.amazonaws.com',
    names: ['CreateTrustAnchor', 'CreateProfile', 'UpdateTrustAnchor', 'EnableTrustAnchor'],
    category: 'access',
    severity: 1,
    what: 'Roles Anywhere trust created',
    cite: 'ATT&CK T1098.001',
    read: (r) => {
      const anchor = str(r.response, 'trustAnchor.trustAnchorId') || str(r.params, 'trustAnchorId');
      const profile = str(r.response, 'profile.profileId');
      if (profile)
        return one(
          'Roles Anywhere profile',
          profile,
          [['aws', 'rolesanywhere', '--region', r.region, 'delete-profile', '--profile-id', profile]],
          str(r.params, 'name') || undefined,
        );
      return one(
        'Roles Anywhere trust anchor',
        anchor,
        [['aws', 'rolesanywhere', '--region', r.region, 'delete-trust-anchor', '--trust-anchor-id', anchor]],
        str(r.params, 'name') || undefined,
      );
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: ['UploadSSHPublicKey'],
    category: 'access',
    severity: 1,
    what: 'SSH key uploaded (CodeCommit)',
    cite: 'ATT&CK T1098.004',
    read: (r) => {
      const u = str(r.params, 'userName');
      const id = str(r.response, 'sSHPublicKey.sSHPublicKeyId');
      return one(
        'SSH public key',
        id,
        [iam('delete-ssh-public-key', '--user-name', u, '--ssh-public-key-id', id)],
        `user ${u}`,
      );
    },
  },
  {
    source: 'iam.amazonaws.com',
    names: ['CreateServiceSpecificCredential'],
    category: 'access',
    severity: 1,
    what: 'service-specific credential created',
    cite: 'ATT&CK T1098.001',
    read: (r) => {
      const u = str(r.params, 'userName');
      const id = str(r.response, 'serviceSpecificCredential.serviceSpecificCredentialId');
      return one(
        'service-specific credential',
        id,
        [iam('delete-service-specific-credential', '--user-name', u, '--service-specific-credential-id', id)],
        `${str(r.params, 'serviceName')} for user ${u}`,
      );
    },
  },
  {
    source: 'lambda.amazonaws.com',
    names: ['AddPermission', 'AddLayerVersionPermission'],
    category: 'access',
    severity: 1,
    what: 'Lambda invoke permission granted',
    cite: 'ATT&CK T1546',
    read: (r) => {
      const fn = str(r.params, 'functionName') || str(r.params, 'layerName');
      const sid = str(r.params, 'statementId');
      return one(
        'Lambda permission',
        fn,
        [
          [
            'aws',
            'lambda',
            '--region',
            r.region,
            'remove-permission',
            '--function-name',
            fn,
            '--statement-id',
            sid,
          ],
        ],
        `${str(r.params, 'principal')} may ${str(r.params, 'action')}`,
      );
    },
  },
  {
    source: 'signin.amazonaws.com',
    names: ['ConsoleLogin', 'GetSigninToken'],
    category: 'access',
    severity: 1,
    what: 'console sign-in',
    cite: `${PB}; ATT&CK T1078.004`,
    read: (r) => ({
      items: [{ kind: 'console session', id: str(r.response, 'ConsoleLogin') || r.eventName }],
      undo: [],
    }),
  },

  // ---- temporary credentials minted (the keys are read from the response by `mintedBy`) ----
  {
    source: 'sts.amazonaws.com',
    names: [
      'AssumeRole',
      'AssumeRoleWithSAML',
      'AssumeRoleWithWebIdentity',
      'GetSessionToken',
      'GetFederationToken',
    ],
    category: 'temporary-credentials',
    severity: 2,
    what: 'temporary credentials minted',
    cite: `${PB}; ATT&CK T1550.001`,
    read: (r) => {
      const key = str(r.response, 'credentials.accessKeyId');
      const role = str(r.params, 'roleArn');
      const name = str(r.params, 'roleSessionName') || str(r.params, 'name');
      const expiry = str(r.response, 'credentials.expiration');
      return {
        items: [
          {
            kind: 'session key',
            id: key || '(id not recorded)',
            detail: [role && `role ${role}`, name && `session ${name}`, expiry && `expires ${expiry}`]
              .filter(Boolean)
              .join(', '),
          },
        ],
        undo: [],
      };
    },
  },

  // ---- execution ----
  {
    source: 'ssm.amazonaws.com',
    names: ['SendCommand'],
    category: 'execution',
    severity: 1,
    what: 'command run on instances',
    cite: 'ATT&CK T1651',
    read: (r) => {
      const id = str(r.response, 'command.commandId');
      const targets = strings(list(r.params, 'instanceIds'));
      return {
        items: [
          {
            kind: 'SSM command',
            id: id || str(r.params, 'documentName'),
            detail: `${str(r.params, 'documentName')} on ${targets.join(', ') || 'targets by tag'}`,
          },
        ],
        undo: [],
        review: 'read what ran: aws ssm list-command-invocations --details',
      };
    },
  },
  {
    source: 'ssm.amazonaws.com',
    names: ['StartSession', 'ResumeSession'],
    category: 'execution',
    severity: 1,
    what: 'shell session on an instance',
    cite: 'ATT&CK T1651',
    read: (r) => {
      const sid = str(r.response, 'sessionId') || str(r.params, 'sessionId');
      return one(
        'SSM session',
        sid,
        sid ? [['aws', 'ssm', '--region', r.region, 'terminate-session', '--session-id', sid]] : [],
        `target ${str(r.params, 'target')}`,
      );
    },
  },
  {
    source: 'ec2-instance-connect.amazonaws.com',
    names: ['SendSSHPublicKey', 'SendSerialConsoleSSHPublicKey'],
    category: 'execution',
    severity: 1,
    what: 'SSH key pushed to an instance',
    cite: 'ATT&CK T1098.004',
    read: (r) =>
      one(
        'EC2 instance',
        str(r.params, 'instanceId'),
        [],
        `as ${str(r.params, 'instanceOSUser') || 'default user'}`,
      ),
  },
  {
    source: 'ec2.amazonaws.com',
    names: ['ModifyInstanceAttribute'],
    category: 'execution',
    severity: 1,
    what: 'instance attribute changed (user data runs at next start)',
    cite: 'ATT&CK T1059',
    read: (r) => {
      const attr = Object.keys(r.params)
        .filter((k) => k !== 'instanceId')
        .join(', ');
      return {
        ...one('EC2 instance', str(r.params, 'instanceId'), [], attr || undefined),
        review: 'inspect: aws ec2 describe-instance-attribute --attribute userData',
      };
    },
  },

  // ---- resources launched or exposed ----
  {
    source: 'ec2.amazonaws.com',
    names: ['RunInstances'],
    category: 'resources',
    severity: 2,
    what: 'instances launched',
    cite: `${PB}; ATT&CK T1578.002`,
    read: (r) => {
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
    },
  },
  {
    source: 'ec2.amazonaws.com',
    names: ['StartInstances'],
    category: 'resources',
    severity: 3,
    what: 'instances started',
    cite: `${PB}; ATT&CK T1578`,
    read: (r) => {
      const ids = strings(list(r.params, 'instancesSet').map((i) => str(i, 'instanceId')));
      return {
        items: ids.map((id) => ({ kind: 'EC2 instance', id })),
        undo: ids.length ? [ec2(r.region, 'stop-instances', '--instance-ids', ...ids)] : [],
      };
    },
  },
  {
    source: 'ec2.amazonaws.com',
    names: ['RequestSpotInstances'],
    category: 'resources',
    severity: 2,
    what: 'spot instances requested',
    cite: `${PB}; ATT&CK T1496`,
    read: (r) => {
      const ids = strings(
        list(r.response, 'spotInstanceRequestSet').map((i) => str(i, 'spotInstanceRequestId')),
      );
      return {
        items: ids.map((id) => ({ kind: 'spot request', id })),
        undo: ids.length
          ? [ec2(r.region, 'cancel-spot-instance-requests', '--spot-instance-request-ids', ...ids)]
          : [],
      };
    },
  },
  {
    source: 'ec2.amazonaws.com',
    names: ['RequestSpotFleet'],
    category: 'resources',
    severity: 2,
    what: 'spot fleet requested',
    cite: `${PB}; ATT&CK T1496`,
    read: (r) => {
      const id =
        str(r.response, 'RequestSpotFleetResponse.spotFleetRequestId') ||
        str(r.response, 'spotFleetRequestId');
      return one('spot fleet', id, [
        ec2(r.region, 'cancel-spot-fleet-requests', '--terminate-instances', '--spot-fleet-request-ids', id),
      ]);
    },
  },
  {
    source: 'ec2.amazonaws.com',
    names: ['CreateFleet'],
    category: 'resources',
    severity: 2,
    what: 'EC2 fleet created',
    cite: 'ATT&CK T1496',
    read: (r) => {
      const id = str(r.response, 'CreateFleetResponse.fleetId') || str(r.response, 'fleetId');
      return one('EC2 fleet', id, [
        ec2(r.region, 'delete-fleets', '--terminate-instances', '--fleet-ids', id),
      ]);
    },
  },
  {
    source: 'autoscaling.amazonaws.com',
    names: ['CreateAutoScalingGroup', 'UpdateAutoScalingGroup'],
    category: 'resources',
    severity: 2,
    what: 'auto-scaling group created',
    cite: 'ATT&CK T1496',
    read: (r) => {
      const n = str(r.params, 'autoScalingGroupName');
      return one(
        'auto-scaling group',
        n,
        [
          [
            'aws',
            'autoscaling',
            '--region',
            r.region,
            'delete-auto-scaling-group',
            '--force-delete',
            '--auto-scaling-group-name',
            n,
          ],
        ],
        `max ${str(r.params, 'maxSize') || '?'}`,
      );
    },
  },
  {
    source: 'lambda.amazonaws.com',
    names: ['CreateFunction'],
    category: 'resources',
    severity: 2,
    what: 'Lambda function created',
    cite: 'ATT&CK T1648',
    read: (r) => {
      const n = str(r.params, 'functionName') || str(r.response, 'functionName');
      return one(
        'Lambda function',
        n,
        [['aws', 'lambda', '--region', r.region, 'delete-function', '--function-name', n]],
        str(r.params, 'role') ? `role ${str(r.params, 'role')}` : undefined,
      );
    },
  },
  {
    source: 'lambda.amazonaws.com',
    names: ['UpdateFunctionCode', 'UpdateFunctionConfiguration'],
    category: 'resources',
    severity: 1,
    what: 'Lambda function changed',
    cite: 'ATT&CK T1648',
    read: (r) => ({
      ...one('Lambda function', str(r.params, 'functionName') || str(r.response, 'functionName')),
      review: 'redeploy the function from your source of truth; compare aws lambda get-function',
    }),
  },
  {
    source: 'ecs.amazonaws.com',
    names: ['RunTask', 'CreateService', 'RegisterTaskDefinition'],
    category: 'resources',
    severity: 2,
    what: 'ECS task started',
    cite: 'ATT&CK T1610',
    read: (r) => {
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
          [
            'aws',
            'ecs',
            '--region',
            r.region,
            'delete-service',
            '--force',
            '--cluster',
            cluster,
            '--service',
            s,
          ],
        ]);
      }
      return {
        items: tasks.map((id) => ({ kind: 'ECS task', id, detail: str(r.params, 'taskDefinition') })),
        undo: tasks.map((t) => [
          'aws',
          'ecs',
          '--region',
          r.region,
          'stop-task',
          '--cluster',
          cluster,
          '--task',
          t,
        ]),
      };
    },
  },
  {
    source: 'ec2.amazonaws.com',
    names: ['AuthorizeSecurityGroupIngress'],
    category: 'resources',
    severity: 1,
    what: 'security group opened',
    cite: 'ATT&CK T1562.007',
    read: (r) => {
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
    },
  },
  {
    source: 's3.amazonaws.com',
    names: ['PutBucketPolicy'],
    category: 'resources',
    severity: 1,
    what: 'bucket policy replaced',
    cite: 'ATT&CK T1537',
    read: (r) => {
      const b = str(r.params, 'bucketName');
      return {
        ...one('S3 bucket', b, [['aws', 's3api', 'delete-bucket-policy', '--bucket', b]]),
        review: 'restore the earlier policy from your baseline if there was one',
      };
    },
  },
  {
    source: 's3.amazonaws.com',
    names: ['PutBucketAcl', 'PutObjectAcl'],
    category: 'resources',
    severity: 1,
    what: 'bucket ACL changed',
    cite: 'ATT&CK T1537',
    read: (r) => {
      const b = str(r.params, 'bucketName');
      return one('S3 bucket', b, [['aws', 's3api', 'put-bucket-acl', '--bucket', b, '--acl', 'private']]);
    },
  },
  {
    source: 's3.amazonaws.com',
    names: [
      'DeleteBucketPublicAccessBlock',
      'PutBucketPublicAccessBlock',
      'DeletePublicAccessBlock',
      'DeleteAccountPublicAccessBlock',
    ],
    category: 'resources',
    severity: 1,
    what: 'public access block removed',
    cite: 'ATT&CK T1537',
    read: (r) => {
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
    },
  },
  {
    source: 'ec2.amazonaws.com',
    names: ['ModifySnapshotAttribute'],
    category: 'resources',
    severity: 1,
    what: 'snapshot shared',
    cite: 'ATT&CK T1537',
    read: (r) => {
      const id = str(r.params, 'snapshotId');
      const whom = sharedWith(list(r.params, 'createVolumePermission.add'));
      const accounts = whom.filter((w) => /^\d{12}$/.test(w));
      return one(
        'EBS snapshot',
        id,
        accounts.length
          ? [
              ec2(
                r.region,
                'modify-snapshot-attribute',
                '--snapshot-id',
                id,
                '--attribute',
                'createVolumePermission',
                '--operation-type',
                'remove',
                '--user-ids',
                ...accounts,
              ),
            ]
          : whom.length
            ? [
                ec2(
                  r.region,
                  'modify-snapshot-attribute',
                  '--snapshot-id',
                  id,
                  '--attribute',
                  'createVolumePermission',
                  '--operation-type',
                  'remove',
                  '--group-names',
                  'all',
                ),
              ]
            : [],
        whom.length ? `with ${whom.join(', ')}` : undefined,
      );
    },
  },
  {
    source: 'ec2.amazonaws.com',
    names: ['ModifyImageAttribute'],
    category: 'resources',
    severity: 1,
    what: 'AMI shared',
    cite: 'ATT&CK T1537',
    read: (r) => {
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
      return one(
        'AMI',
        id,
        spec.length
          ? [
              ec2(
                r.region,
                'modify-image-attribute',
                '--image-id',
                id,
                '--launch-permission',
                `Remove=[${spec.join(',')}]`,
              ),
            ]
          : [],
        whom.length ? `with ${whom.join(', ')}` : undefined,
      );
    },
  },
  {
    source: 'rds.amazonaws.com',
    names: ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'],
    category: 'resources',
    severity: 1,
    what: 'DB snapshot shared',
    cite: 'ATT&CK T1537',
    read: (r) => {
      const cluster = r.eventName === 'ModifyDBClusterSnapshotAttribute';
      const id = str(r.params, cluster ? 'dBClusterSnapshotIdentifier' : 'dBSnapshotIdentifier');
      const whom = strings(list(r.params, 'valuesToAdd'));
      return one(
        cluster ? 'DB cluster snapshot' : 'DB snapshot',
        id,
        whom.length
          ? [
              [
                'aws',
                'rds',
                '--region',
                r.region,
                cluster ? 'modify-db-cluster-snapshot-attribute' : 'modify-db-snapshot-attribute',
                cluster ? '--db-cluster-snapshot-identifier' : '--db-snapshot-identifier',
                id,
                '--attribute-name',
                'restore',
                '--values-to-remove',
                ...whom,
              ],
            ]
          : [],
        whom.length ? `with ${whom.join(', ')}` : undefined,
      );
    },
  },
  {
    source: 'ec2.amazonaws.com',
    names: ['CreateKeyPair', 'ImportKeyPair'],
    category: 'resources',
    severity: 2,
    what: 'key pair added',
    cite: 'ATT&CK T1098.004',
    read: (r) => {
      const n = str(r.params, 'keyName');
      return one('EC2 key pair', n, [ec2(r.region, 'delete-key-pair', '--key-name', n)]);
    },
  },
  {
    source: 'ses.amazonaws.com',
    names: [
      'UpdateAccountSendingEnabled',
      'VerifyEmailIdentity',
      'VerifyDomainIdentity',
      'CreateEmailIdentity',
      'PutAccountDetails',
      'PutAccountSendingAttributes',
    ],
    category: 'resources',
    severity: 2,
    what: 'SES sending enabled',
    cite: 'ATT&CK T1496.004',
    read: (r) => ({
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
          ? [['aws', 'ses', '--region', r.region, 'update-account-sending-enabled', '--no-enabled']]
          : [],
      review: 'check what was sent: SES sending statistics and suppression list',
    }),
  },
  {
    source: 'bedrock.amazonaws.com',
    names: [
      'InvokeModel',
      'InvokeModelWithResponseStream',
      'Converse',
      'ConverseStream',
      'PutFoundationModelEntitlement',
      'PutUseCaseForModelAccess',
      'CreateFoundationModelAgreement',
    ],
    category: 'resources',
    severity: 2,
    what: 'Bedrock models used',
    cite: 'ATT&CK T1496.004',
    read: (r) => ({
      items: [{ kind: 'Bedrock model', id: str(r.params, 'modelId') || r.eventName }],
      undo: [],
      review: 'check Bedrock charges in Cost Explorer',
    }),
  },
  {
    source: 'lightsail.amazonaws.com',
    names: ['CreateInstances'],
    category: 'resources',
    severity: 2,
    what: 'Lightsail instances created',
    cite: 'ATT&CK T1578.002',
    read: (r) => {
      const names = strings(list(r.params, 'instanceNames'));
      return {
        items: names.map((id) => ({ kind: 'Lightsail instance', id })),
        undo: names.map((n) => [
          'aws',
          'lightsail',
          '--region',
          r.region,
          'delete-instance',
          '--instance-name',
          n,
        ]),
      };
    },
  },

  // ---- data and secrets read: rotate these ----
  {
    source: 'secretsmanager.amazonaws.com',
    names: ['GetSecretValue', 'BatchGetSecretValue'],
    category: 'data',
    severity: 2,
    what: 'secrets read: rotate these',
    cite: `${PB}; ATT&CK T1555.006`,
    read: (r) => {
      const ids = [str(r.params, 'secretId'), ...strings(list(r.params, 'secretIdList'))].filter(Boolean);
      return {
        items: ids.map((id) => ({ kind: 'secret', id })),
        undo: ids.map((id) => [
          'aws',
          'secretsmanager',
          '--region',
          r.region,
          'rotate-secret',
          '--secret-id',
          id,
        ]),
      };
    },
  },
  {
    source: 'ssm.amazonaws.com',
    names: ['GetParameter', 'GetParameters', 'GetParametersByPath', 'GetParameterHistory'],
    category: 'data',
    severity: 2,
    what: 'parameters read: rotate these',
    cite: `${PB}; ATT&CK T1555.006`,
    read: (r) => {
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
    },
  },
  {
    source: 'kms.amazonaws.com',
    names: ['Decrypt', 'GenerateDataKey', 'ReEncrypt'],
    category: 'data',
    severity: 2,
    what: 'data decrypted with KMS',
    cite: 'ATT&CK T1552',
    read: (r) =>
      one(
        'KMS key',
        str(r.params, 'keyId') ||
          str(r.response, 'keyId') ||
          r.resources.find((x) => x.ResourceType === 'AWS::KMS::Key')?.ResourceName ||
          '(key in the ciphertext)',
      ),
  },
  {
    source: 'ec2.amazonaws.com',
    names: ['GetPasswordData'],
    category: 'data',
    severity: 1,
    what: 'Windows administrator password read: rotate it',
    cite: 'ATT&CK T1552',
    read: (r) => one('EC2 instance', str(r.params, 'instanceId')),
  },
  {
    source: 's3.amazonaws.com',
    names: ['GetObject'],
    category: 'data',
    severity: 3,
    what: 'objects read',
    cite: `${PB}; ATT&CK T1530`,
    read: (r) => one('S3 object', `${str(r.params, 'bucketName')}/${str(r.params, 'key')}`),
  },
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
