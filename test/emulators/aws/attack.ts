// An attacker's CloudTrail, shared by the demo, the live-key tests and the volume tests. The records
// follow AWS's documented shapes for each call (requestParameters and responseElements as CloudTrail logs
// them, secrets omitted the way CloudTrail omits them), modelled on Stratus Red Team's AWS techniques and
// published attack recordings. Everything random comes from a seed, except key ids, which are generated at
// run time like every test key.
import { makeKeyId, makeSecret } from '../../helpers/keys.js';
import type { ScenarioEvent, ScenarioUser } from './scenario.js';

/** mulberry32: a small seeded generator, so a scenario is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ATTACK_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'eu-central-1',
  'eu-north-1',
  'ap-southeast-1',
  'ap-northeast-1',
  'sa-east-1',
];

/** The account the attacker shares snapshots and images with (AWS's documentation example account). */
export const ATTACKER_ACCOUNT = '111122223333';

export interface AttackOptions {
  accountId: string;
  keyId: string;
  userName: string;
  now: Date;
  seed?: number;
  /** Total events, reconnaissance filling what the attack does not. 0: the attack alone. */
  volume?: number;
  regions?: string[];
}

export interface Attack {
  events: ScenarioEvent[];
  /** Users the attacker created, with the access key it created, for the emulator's IAM. */
  users: ScenarioUser[];
  /** Roles the attacker's sessions assumed, for the emulator's IAM. */
  roles: string[];
  /** What a responder must be told, for assertions. */
  expect: {
    /** Every principal and resource the attack created or changed, by name or id. */
    created: string[];
    /** Every attack call, by event name. */
    calls: string[];
    /** Calls made only by the followed session. */
    sessionCalls: string[];
    sessionKey: string;
    createdKey: string;
    createdUser: string;
    role: string;
  };
}

/** The attacker's activity for one leaked key: an attack in several categories, buried in reconnaissance. */
export function attackScenario(o: AttackOptions): Attack {
  const rnd = seeded(o.seed ?? 7);
  const regions = o.regions ?? ATTACK_REGIONS;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const hex = (n: number) =>
    Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');
  const acct = o.accountId;
  const start = o.now.getTime() - 6 * 3600_000;
  let clock = start;
  const tick = (ms = 20_000) =>
    new Date((clock += Math.floor(rnd() * ms) + 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const ipRecon = '198.51.100.7';
  const ipAct = '203.0.113.66';
  const ua = 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off';
  const cloudTime = (t: string) =>
    new Date(t).toLocaleString('en-US', {
      timeZone: 'UTC',
      month: 'short',
      day: 'numeric',
      year: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      second: '2-digit',
    });

  const sessionKey = makeKeyId('ASIA', acct);
  const createdKey = makeKeyId('AKIA', acct);
  const fedKey = makeKeyId('ASIA', acct);
  const role = 'ops-admin';
  const user = 'backup-admin';
  const instanceIds = [`i-${hex(17)}`, `i-${hex(17)}`, `i-${hex(17)}`];
  const sessionInstance = `i-${hex(17)}`;
  const victimInstance = `i-${hex(17)}`;
  const ids = {
    sgr: `sgr-${hex(17)}`,
    sg: `sg-${hex(17)}`,
    spot: `sir-${hex(8)}`,
    fleet: `fleet-${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`,
    snapshot: `snap-${hex(17)}`,
    ami: `ami-${hex(17)}`,
    flowLog: `fl-${hex(17)}`,
    rqlc: `rqlc-${hex(16)}`,
    detector: hex(32),
    command: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`,
    ssmSession: `${o.userName}-${hex(17)}`,
    anchor: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`,
    sshKey: `APKA${hex(16).toUpperCase()}`,
    ecsTask: `arn:aws:ecs:eu-west-1:${acct}:task/default/${hex(32)}`,
  };

  type Call = Omit<ScenarioEvent, 'accessKeyId' | 'eventTime'> & { eventTime?: string; accessKeyId?: string };
  const events: ScenarioEvent[] = [];
  const leakedIdentity = {
    type: 'IAMUser',
    principalId: `AIDA${hex(17).toUpperCase()}`.slice(0, 21),
    arn: `arn:aws:iam::${acct}:user/${o.userName}`,
    accountId: acct,
    accessKeyId: o.keyId,
    userName: o.userName,
  };
  const call = (c: Call, identity: Record<string, unknown> = leakedIdentity) => {
    const t = c.eventTime ?? tick();
    events.push({
      sourceIPAddress: ipAct,
      userAgent: ua,
      userName: typeof identity.userName === 'string' ? identity.userName : undefined,
      ...c,
      eventTime: t,
      accessKeyId: String(identity.accessKeyId),
      userIdentity: identity,
      region: c.region ?? 'us-east-1',
    });
    return t;
  };
  const iam = (
    eventName: string,
    requestParameters: Record<string, unknown> | null,
    responseElements: Record<string, unknown> | null = null,
  ) => call({ eventName, eventSource: 'iam.amazonaws.com', requestParameters, responseElements });

  // The attack, in the order attackers run it: who am I, persistence, credentials, evasion, resources.
  call({
    eventName: 'GetCallerIdentity',
    eventSource: 'sts.amazonaws.com',
    sourceIPAddress: ipRecon,
    requestParameters: null,
  });
  let t = iam(
    'CreateUser',
    { userName: user },
    {
      user: {
        path: '/',
        userName: user,
        userId: `AIDA${hex(16).toUpperCase()}`,
        arn: `arn:aws:iam::${acct}:user/${user}`,
        createDate: '',
      },
    },
  );
  t = iam(
    'CreateAccessKey',
    { userName: user },
    { accessKey: { userName: user, accessKeyId: createdKey, status: 'Active', createDate: cloudTime(t) } },
  );
  iam(
    'CreateLoginProfile',
    { userName: user, passwordResetRequired: false },
    { loginProfile: { userName: user, createDate: cloudTime(t), passwordResetRequired: false } },
  );
  iam('AttachUserPolicy', { userName: user, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' });
  iam(
    'CreateVirtualMFADevice',
    { virtualMFADeviceName: `${user}-mfa`, path: '/' },
    { virtualMFADevice: { serialNumber: `arn:aws:iam::${acct}:mfa/${user}-mfa` } },
  );
  iam('EnableMFADevice', { userName: user, serialNumber: `arn:aws:iam::${acct}:mfa/${user}-mfa` });
  iam(
    'CreatePolicy',
    {
      policyName: 'SupportAccess',
      policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
    },
    {
      policy: {
        policyName: 'SupportAccess',
        policyId: `ANPA${hex(16).toUpperCase()}`,
        arn: `arn:aws:iam::${acct}:policy/SupportAccess`,
        path: '/',
        defaultVersionId: 'v1',
        attachmentCount: 0,
        isAttachable: true,
      },
    },
  );
  iam(
    'CreatePolicyVersion',
    {
      policyArn: `arn:aws:iam::${acct}:policy/ReadOnlyAudit`,
      policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
      setAsDefault: true,
    },
    { policyVersion: { versionId: 'v2', isDefaultVersion: true } },
  );
  iam(
    'CreateRole',
    {
      roleName: 'lambda-maintenance',
      assumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::${ATTACKER_ACCOUNT}:root"},"Action":"sts:AssumeRole"}]}`,
    },
    { role: { roleName: 'lambda-maintenance', arn: `arn:aws:iam::${acct}:role/lambda-maintenance` } },
  );
  iam('UpdateAssumeRolePolicy', {
    roleName: role,
    policyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::${ATTACKER_ACCOUNT}:root"},"Action":"sts:AssumeRole"}]}`,
  });
  iam('PutRolePolicy', {
    roleName: role,
    policyName: 'maintenance',
    policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
  });
  iam(
    'CreateInstanceProfile',
    { instanceProfileName: 'maintenance-profile' },
    {
      instanceProfile: {
        instanceProfileName: 'maintenance-profile',
        arn: `arn:aws:iam::${acct}:instance-profile/maintenance-profile`,
      },
    },
  );
  iam('AddRoleToInstanceProfile', {
    instanceProfileName: 'maintenance-profile',
    roleName: 'lambda-maintenance',
  });
  iam(
    'CreateOpenIDConnectProvider',
    {
      url: 'https://token.actions.example.net',
      clientIDList: ['sts.amazonaws.com'],
      thumbprintList: ['6938fd4d98bab03faadb97b34396831e3780aea1'],
    },
    { openIDConnectProviderArn: `arn:aws:iam::${acct}:oidc-provider/token.actions.example.net` },
  );
  iam(
    'UploadSSHPublicKey',
    { userName: user, sSHPublicKeyBody: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ attacker' },
    {
      sSHPublicKey: {
        userName: user,
        sSHPublicKeyId: ids.sshKey,
        fingerprint: 'e3:9b:5c:3a',
        status: 'Active',
      },
    },
  );
  iam(
    'CreateServiceSpecificCredential',
    { userName: user, serviceName: 'codecommit.amazonaws.com' },
    {
      serviceSpecificCredential: {
        serviceName: 'codecommit.amazonaws.com',
        serviceUserName: `${user}-at-${acct}`,
        serviceSpecificCredentialId: `ACCA${hex(16).toUpperCase()}`,
        userName: user,
        status: 'Active',
      },
    },
  );
  call({
    eventName: 'CreateTrustAnchor',
    eventSource: 'rolesanywhere.amazonaws.com',
    requestParameters: {
      name: 'maintenance-ca',
      enabled: true,
      source: {
        sourceType: 'CERTIFICATE_BUNDLE',
        sourceData: { x509CertificateData: '-----BEGIN CERTIFICATE-----' },
      },
    },
    responseElements: {
      trustAnchor: {
        trustAnchorId: ids.anchor,
        trustAnchorArn: `arn:aws:rolesanywhere:us-east-1:${acct}:trust-anchor/${ids.anchor}`,
        name: 'maintenance-ca',
        enabled: true,
      },
    },
  });

  // Temporary credentials.
  t = call({
    eventName: 'AssumeRole',
    eventSource: 'sts.amazonaws.com',
    requestParameters: {
      roleArn: `arn:aws:iam::${acct}:role/${role}`,
      roleSessionName: 'maint',
      durationSeconds: 43200,
    },
    responseElements: {
      credentials: { accessKeyId: sessionKey, sessionToken: '<hidden>', expiration: '' },
      assumedRoleUser: {
        assumedRoleId: `AROA${hex(16).toUpperCase()}:maint`,
        arn: `arn:aws:sts::${acct}:assumed-role/${role}/maint`,
      },
    },
  });
  (
    events[events.length - 1]!.responseElements as { credentials: { expiration: string } }
  ).credentials.expiration = cloudTime(new Date(Date.parse(t) + 43200_000).toISOString());
  call({
    eventName: 'GetFederationToken',
    eventSource: 'sts.amazonaws.com',
    requestParameters: { name: 'support', durationSeconds: 129600 },
    responseElements: {
      credentials: {
        accessKeyId: fedKey,
        sessionToken: '<hidden>',
        expiration: cloudTime(new Date(Date.parse(t) + 129600_000).toISOString()),
      },
      federatedUser: {
        federatedUserId: `${acct}:support`,
        arn: `arn:aws:sts::${acct}:federated-user/support`,
      },
      packedPolicySize: 6,
    },
  });

  // Defense evasion.
  call({
    eventName: 'StopLogging',
    eventSource: 'cloudtrail.amazonaws.com',
    requestParameters: { name: `arn:aws:cloudtrail:us-east-1:${acct}:trail/org-trail` },
  });
  call({
    eventName: 'DeleteTrail',
    eventSource: 'cloudtrail.amazonaws.com',
    requestParameters: { name: 'org-trail' },
    errorCode: 'AccessDenied',
    errorMessage: 'User is not authorized to perform: cloudtrail:DeleteTrail',
  });
  call({
    eventName: 'DeleteFlowLogs',
    eventSource: 'ec2.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { DeleteFlowLogsRequest: { FlowLogId: { content: ids.flowLog, tag: 1 } } },
    responseElements: { DeleteFlowLogsResponse: { unsuccessful: '', requestId: hex(8) } },
  });
  call({
    eventName: 'DeleteResolverQueryLogConfig',
    eventSource: 'route53resolver.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { resolverQueryLogConfigId: ids.rqlc },
  });
  call({
    eventName: 'DeleteLogGroup',
    eventSource: 'logs.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { logGroupName: '/aws/vpc/flow-logs' },
  });
  call({
    eventName: 'DeleteDetector',
    eventSource: 'guardduty.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { detectorId: ids.detector },
  });
  call({
    eventName: 'DisableSecurityHub',
    eventSource: 'securityhub.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: null,
  });
  call({
    eventName: 'StopConfigurationRecorder',
    eventSource: 'config.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { configurationRecorderName: 'default' },
  });

  // Resources launched and exposed.
  const runIn = ['eu-west-1', 'ap-southeast-1', 'sa-east-1'];
  runIn.forEach((region, i) =>
    call({
      eventName: 'RunInstances',
      eventSource: 'ec2.amazonaws.com',
      region,
      requestParameters: {
        instancesSet: {
          items: [{ imageId: `ami-${hex(17)}`, minCount: 1, maxCount: 1, keyName: 'maint-key' }],
        },
        instanceType: 'p3.16xlarge',
        blockDeviceMapping: {},
        monitoring: { enabled: false },
        disableApiTermination: false,
        disableApiStop: false,
        clientToken: hex(12),
      },
      responseElements: {
        requestId: hex(8),
        reservationId: `r-${hex(17)}`,
        ownerId: acct,
        groupSet: {},
        instancesSet: {
          items: [
            {
              instanceId: instanceIds[i],
              imageId: `ami-${hex(17)}`,
              instanceState: { code: 0, name: 'pending' },
              instanceType: 'p3.16xlarge',
              launchTime: Date.now(),
              placement: { availabilityZone: `${region}a`, tenancy: 'default' },
            },
          ],
        },
      },
    }),
  );
  call({
    eventName: 'RequestSpotInstances',
    eventSource: 'ec2.amazonaws.com',
    region: 'us-west-2',
    requestParameters: {
      spotPrice: '5.00',
      instanceCount: 4,
      type: 'one-time',
      launchSpecification: { imageId: `ami-${hex(17)}`, instanceType: 'g4dn.12xlarge' },
    },
    responseElements: {
      spotInstanceRequestSet: { items: [{ spotInstanceRequestId: ids.spot, state: 'open' }] },
    },
  });
  call({
    eventName: 'CreateFleet',
    eventSource: 'ec2.amazonaws.com',
    region: 'us-east-2',
    requestParameters: {
      CreateFleetRequest: { Type: 'instant', TargetCapacitySpecification: { TotalTargetCapacity: 20 } },
    },
    responseElements: { CreateFleetResponse: { fleetId: ids.fleet, requestId: hex(8) } },
  });
  call({
    eventName: 'CreateAutoScalingGroup',
    eventSource: 'autoscaling.amazonaws.com',
    region: 'eu-central-1',
    requestParameters: {
      autoScalingGroupName: 'batch-workers',
      minSize: 10,
      maxSize: 50,
      desiredCapacity: 50,
      launchTemplate: { launchTemplateName: 'batch' },
    },
  });
  call({
    eventName: 'CreateFunction20150331',
    eventSource: 'lambda.amazonaws.com',
    region: 'us-east-1',
    requestParameters: {
      functionName: 'log-forwarder',
      runtime: 'python3.12',
      role: `arn:aws:iam::${acct}:role/lambda-maintenance`,
      handler: 'index.handler',
      code: {},
    },
    responseElements: {
      functionName: 'log-forwarder',
      functionArn: `arn:aws:lambda:us-east-1:${acct}:function:log-forwarder`,
    },
  });
  call({
    eventName: 'UpdateFunctionCode20150331v2',
    eventSource: 'lambda.amazonaws.com',
    region: 'us-east-1',
    requestParameters: { functionName: 'billing-export', publish: true, dryRun: false },
    responseElements: { functionName: 'billing-export' },
  });
  call({
    eventName: 'AddPermission20150331v2',
    eventSource: 'lambda.amazonaws.com',
    region: 'us-east-1',
    requestParameters: {
      functionName: 'billing-export',
      statementId: 'public-invoke',
      action: 'lambda:InvokeFunction',
      principal: '*',
    },
    responseElements: { statement: '{"Sid":"public-invoke"}' },
  });
  call({
    eventName: 'RunTask',
    eventSource: 'ecs.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { cluster: 'default', taskDefinition: 'miner:1', count: 1, launchType: 'FARGATE' },
    responseElements: { tasks: [{ taskArn: ids.ecsTask, lastStatus: 'PROVISIONING' }], failures: [] },
  });
  call({
    eventName: 'AuthorizeSecurityGroupIngress',
    eventSource: 'ec2.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: {
      groupId: ids.sg,
      ipPermissions: {
        items: [
          {
            ipProtocol: 'tcp',
            fromPort: 22,
            toPort: 22,
            groups: {},
            ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] },
            ipv6Ranges: {},
            prefixListIds: {},
          },
        ],
      },
    },
    responseElements: {
      requestId: hex(8),
      _return: true,
      securityGroupRuleSet: {
        items: [
          {
            groupOwnerId: acct,
            groupId: ids.sg,
            securityGroupRuleId: ids.sgr,
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: 22,
            toPort: 22,
            cidrIpv4: '0.0.0.0/0',
          },
        ],
      },
    },
  });
  call({
    eventName: 'PutBucketPolicy',
    eventSource: 's3.amazonaws.com',
    requestParameters: {
      bucketName: 'acme-backups',
      Host: 'acme-backups.s3.amazonaws.com',
      bucketPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: '*',
            Action: 's3:GetObject',
            Resource: 'arn:aws:s3:::acme-backups/*',
          },
        ],
      },
      policy: '',
    },
  });
  call({
    eventName: 'PutBucketAcl',
    eventSource: 's3.amazonaws.com',
    requestParameters: {
      bucketName: 'acme-logs',
      Host: 'acme-logs.s3.amazonaws.com',
      acl: '',
      AccessControlPolicy: {
        AccessControlList: {
          Grant: { Grantee: { URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' },
        },
      },
    },
  });
  call({
    eventName: 'DeleteBucketPublicAccessBlock',
    eventSource: 's3.amazonaws.com',
    requestParameters: {
      bucketName: 'acme-backups',
      Host: 'acme-backups.s3.amazonaws.com',
      publicAccessBlock: '',
    },
  });
  call({
    eventName: 'ModifySnapshotAttribute',
    eventSource: 'ec2.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: {
      snapshotId: ids.snapshot,
      createVolumePermission: { add: { items: [{ userId: ATTACKER_ACCOUNT }] } },
      attributeType: 'CREATE_VOLUME_PERMISSION',
    },
    responseElements: { requestId: hex(8), _return: true },
  });
  call({
    eventName: 'ModifyImageAttribute',
    eventSource: 'ec2.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: {
      imageId: ids.ami,
      launchPermission: { add: { items: [{ userId: ATTACKER_ACCOUNT }] } },
      attributeType: 'launchPermission',
    },
    responseElements: { requestId: hex(8), _return: true },
  });
  call({
    eventName: 'ModifyDBSnapshotAttribute',
    eventSource: 'rds.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: {
      dBSnapshotIdentifier: 'orders-nightly',
      attributeName: 'restore',
      valuesToAdd: [ATTACKER_ACCOUNT],
    },
    responseElements: { dBSnapshotIdentifier: 'orders-nightly' },
  });
  call({
    eventName: 'CreateKeyPair',
    eventSource: 'ec2.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { keyName: 'maint-key', keyType: 'rsa', keyFormat: 'pem' },
    responseElements: {
      requestId: hex(8),
      keyName: 'maint-key',
      keyFingerprint: '1f:51:ae:28',
      keyPairId: `key-${hex(17)}`,
      keyMaterial: '<sensitiveDataRemoved>',
    },
  });
  call({
    eventName: 'ImportKeyPair',
    eventSource: 'ec2.amazonaws.com',
    region: 'ap-southeast-1',
    requestParameters: { keyName: 'ops-laptop', publicKeyMaterial: '<sensitiveDataRemoved>' },
    responseElements: {
      requestId: hex(8),
      keyName: 'ops-laptop',
      keyFingerprint: 'd8:2a',
      keyPairId: `key-${hex(17)}`,
    },
  });
  call({
    eventName: 'ModifyInstanceAttribute',
    eventSource: 'ec2.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { instanceId: victimInstance, userData: '<sensitiveDataRemoved>' },
    responseElements: { requestId: hex(8), _return: true },
  });
  call({
    eventName: 'UpdateAccountSendingEnabled',
    eventSource: 'ses.amazonaws.com',
    region: 'us-east-1',
    requestParameters: { enabled: true },
  });
  call({
    eventName: 'InvokeModel',
    eventSource: 'bedrock.amazonaws.com',
    region: 'us-west-2',
    requestParameters: { modelId: 'anthropic.claude-3-sonnet-20240229-v1:0' },
  });
  call({
    eventName: 'CreateVpc',
    eventSource: 'ec2.amazonaws.com',
    region: 'ap-northeast-1',
    requestParameters: { cidrBlock: '10.99.0.0/16' },
    responseElements: { vpc: { vpcId: `vpc-${hex(17)}` } },
    resources: [],
  });

  // Data and secrets read.
  call({
    eventName: 'GetSecretValue',
    eventSource: 'secretsmanager.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { secretId: 'prod/db/orders' },
  });
  call({
    eventName: 'BatchGetSecretValue',
    eventSource: 'secretsmanager.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { secretIdList: ['prod/stripe/api-key', 'prod/github/deploy-token'] },
  });
  call({
    eventName: 'GetParametersByPath',
    eventSource: 'ssm.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { path: '/prod/', recursive: true, withDecryption: true },
  });
  call({
    eventName: 'Decrypt',
    eventSource: 'kms.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    resources: [
      {
        ResourceType: 'AWS::KMS::Key',
        ResourceName: `arn:aws:kms:eu-west-1:${acct}:key/${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`,
      },
    ],
  });

  // Execution.
  call({
    eventName: 'SendCommand',
    eventSource: 'ssm.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: {
      instanceIds: [victimInstance],
      documentName: 'AWS-RunShellScript',
      parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS',
      interactive: false,
    },
    responseElements: {
      command: {
        commandId: ids.command,
        documentName: 'AWS-RunShellScript',
        instanceIds: [victimInstance],
        status: 'Pending',
      },
    },
  });
  call({
    eventName: 'StartSession',
    eventSource: 'ssm.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: { target: victimInstance },
    responseElements: {
      sessionId: ids.ssmSession,
      tokenValue: 'Value hidden due to security reasons.',
      streamUrl: `wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/${ids.ssmSession}`,
    },
  });
  call({
    eventName: 'SendSSHPublicKey',
    eventSource: 'ec2-instance-connect.amazonaws.com',
    region: 'eu-west-1',
    requestParameters: {
      instanceId: victimInstance,
      instanceOSUser: 'ec2-user',
      sSHPublicKey: 'ssh-ed25519 AAAAC3 attacker',
    },
    responseElements: { requestId: hex(8), success: true },
  });

  // Failed calls: probing that was refused, and noise.
  call({
    eventName: 'ListSecrets',
    eventSource: 'secretsmanager.amazonaws.com',
    region: 'us-west-2',
    errorCode: 'AccessDenied',
    sourceIPAddress: ipRecon,
  });
  call({
    eventName: 'GetUser',
    eventSource: 'iam.amazonaws.com',
    requestParameters: { userName: 'admin' },
    errorCode: 'NoSuchEntityException',
    sourceIPAddress: ipRecon,
  });
  call({
    eventName: 'DescribeInstances',
    eventSource: 'ec2.amazonaws.com',
    region: 'us-east-2',
    errorCode: 'Client.RequestLimitExceeded',
    sourceIPAddress: ipRecon,
  });

  // What the assumed-role session did: only its own key id finds these.
  const sessionIdentity = {
    type: 'AssumedRole',
    principalId: `AROA${hex(16).toUpperCase()}:maint`,
    arn: `arn:aws:sts::${acct}:assumed-role/${role}/maint`,
    accountId: acct,
    accessKeyId: sessionKey,
    sessionContext: {
      sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${acct}:role/${role}`, userName: role },
      attributes: { creationDate: t, mfaAuthenticated: 'false' },
    },
  };
  call(
    {
      eventName: 'DescribeInstances',
      eventSource: 'ec2.amazonaws.com',
      region: 'eu-north-1',
      requestParameters: { instancesSet: {}, filterSet: {} },
    },
    sessionIdentity,
  );
  call(
    {
      eventName: 'GetPasswordData',
      eventSource: 'ec2.amazonaws.com',
      region: 'eu-north-1',
      requestParameters: { instanceId: sessionInstance },
    },
    sessionIdentity,
  );
  call(
    { eventName: 'LeaveOrganization', eventSource: 'organizations.amazonaws.com', requestParameters: null },
    sessionIdentity,
  );

  // What the access key the attacker created did.
  const createdIdentity = {
    type: 'IAMUser',
    principalId: `AIDA${hex(16).toUpperCase()}`,
    arn: `arn:aws:iam::${acct}:user/${user}`,
    accountId: acct,
    accessKeyId: createdKey,
    userName: user,
  };
  call(
    { eventName: 'ListUsers', eventSource: 'iam.amazonaws.com', requestParameters: null },
    createdIdentity,
  );
  call(
    {
      eventName: 'PutUserPolicy',
      eventSource: 'iam.amazonaws.com',
      requestParameters: { userName: user, policyName: 'keepalive', policyDocument: '{}' },
    },
    createdIdentity,
  );

  // A world with fewer regions sees the attack in the ones it has (global calls stay in us-east-1).
  if (o.regions) {
    const last = o.regions[o.regions.length - 1]!;
    for (const e of events) if (!o.regions.includes(e.region ?? 'us-east-1')) e.region = last;
  }
  const attackCount = events.length;
  // Reconnaissance fills the rest, spread over every region, the way enumeration tools sweep them.
  const recon: [string, string][] = [
    ['ec2.amazonaws.com', 'DescribeInstances'],
    ['ec2.amazonaws.com', 'DescribeRegions'],
    ['ec2.amazonaws.com', 'DescribeSecurityGroups'],
    ['ec2.amazonaws.com', 'DescribeSnapshots'],
    ['ec2.amazonaws.com', 'DescribeVpcs'],
    ['ec2.amazonaws.com', 'DescribeImages'],
    ['lambda.amazonaws.com', 'ListFunctions20150331'],
    ['ssm.amazonaws.com', 'DescribeInstanceInformation'],
    ['rds.amazonaws.com', 'DescribeDBInstances'],
    ['ecs.amazonaws.com', 'ListClusters'],
    ['secretsmanager.amazonaws.com', 'ListSecrets'],
    ['logs.amazonaws.com', 'DescribeLogGroups'],
    ['guardduty.amazonaws.com', 'ListDetectors'],
    ['cloudtrail.amazonaws.com', 'DescribeTrails'],
    ['bedrock.amazonaws.com', 'ListFoundationModels'],
  ];
  const global: [string, string][] = [
    ['iam.amazonaws.com', 'ListUsers'],
    ['iam.amazonaws.com', 'ListRoles'],
    ['iam.amazonaws.com', 'ListAttachedUserPolicies'],
    ['iam.amazonaws.com', 'GetAccountAuthorizationDetails'],
    ['s3.amazonaws.com', 'ListBuckets'],
    ['sts.amazonaws.com', 'GetCallerIdentity'],
    ['organizations.amazonaws.com', 'DescribeOrganization'],
  ];
  const fill = Math.max(0, (o.volume ?? 0) - attackCount);
  for (let i = 0; i < fill; i++) {
    const g = rnd() < 0.2;
    const [eventSource, eventName] = g ? pick(global) : pick(recon);
    const region = g ? 'us-east-1' : pick(regions);
    events.push({
      eventName,
      eventSource,
      region,
      eventTime: new Date(start + Math.floor(rnd() * 6 * 3600_000)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      accessKeyId: o.keyId,
      userName: o.userName,
      userIdentity: leakedIdentity,
      sourceIPAddress: rnd() < 0.8 ? ipRecon : `192.0.2.${Math.floor(rnd() * 200) + 1}`,
      userAgent:
        rnd() < 0.7
          ? 'Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0 lang/python#3.11.8 exec-env/pacu'
          : ua,
      requestParameters: null,
    });
  }

  const created = [
    user,
    createdKey,
    `arn:aws:iam::${acct}:mfa/${user}-mfa`,
    `arn:aws:iam::${acct}:policy/SupportAccess`,
    `arn:aws:iam::${acct}:policy/ReadOnlyAudit`,
    'lambda-maintenance',
    role,
    'maintenance-profile',
    `arn:aws:iam::${acct}:oidc-provider/token.actions.example.net`,
    ids.sshKey,
    ids.anchor,
    sessionKey,
    fedKey,
    'org-trail',
    ids.flowLog,
    ids.rqlc,
    '/aws/vpc/flow-logs',
    ids.detector,
    ...instanceIds,
    ids.spot,
    ids.fleet,
    'batch-workers',
    'log-forwarder',
    'billing-export',
    ids.ecsTask,
    ids.sg,
    ids.sgr,
    'acme-backups',
    'acme-logs',
    ids.snapshot,
    ids.ami,
    'orders-nightly',
    'maint-key',
    'ops-laptop',
    victimInstance,
    ids.command,
    ids.ssmSession,
    'prod/db/orders',
    'prod/stripe/api-key',
    'prod/github/deploy-token',
    '/prod/',
    sessionInstance,
  ];
  const skip = new Set(['GetCallerIdentity', 'ListSecrets', 'GetUser', 'DescribeInstances', 'ListUsers']);
  return {
    events,
    users: [{ name: user, keys: [{ id: createdKey, secret: makeSecret() }], loginProfile: true }],
    roles: [role, 'lambda-maintenance'],
    expect: {
      created,
      calls: [
        ...new Set(
          events
            .slice(0, attackCount)
            .map((e) => e.eventName)
            .filter((n) => !skip.has(n)),
        ),
      ],
      sessionCalls: ['GetPasswordData', 'LeaveOrganization'],
      sessionKey,
      createdKey,
      createdUser: user,
      role,
    },
  };
}
