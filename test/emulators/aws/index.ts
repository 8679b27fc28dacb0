import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeKeyId, makeSecret, makeSessionToken } from '../../helpers/keys.js';
import type { Fault, KeyStatus, Scenario, ScenarioEvent, ScenarioKey } from './scenario.js';
import { parseAuthorization, signatureMatches, type ParsedAuthorization } from './sigv4.js';

export type * from './scenario.js';

type Service = 'sts' | 'iam' | 'ec2' | 'cloudtrail' | 'ce';

/** Services speaking JSON 1.1 (X-Amz-Target), the rest the query protocol with XML answers. */
const isJson = (s: string) => s === 'cloudtrail' || s === 'ce';

/** One request as the emulator saw it, for asserting what was (and was not) called. */
export interface RecordedRequest {
  service: string;
  action: string;
  region: string;
  /** The access key id the request was signed with; null when unsigned. */
  accessKeyId: string | null;
  params: Record<string, unknown>;
  userAgent: string;
  status: number;
  errorCode: string | null;
  /** The request as sent, for asserting what never travels on the wire (a secret only signs). */
  raw: { headers: Record<string, string | string[] | undefined>; body: string };
}

export interface Principal {
  accountId: string;
  type: 'IAMUser' | 'Root' | 'AssumedRole';
  arn: string;
  userId: string;
  userName: string | null;
  deny: Set<string>;
}

export interface KeyRecord {
  id: string;
  secret: string;
  sessionToken: string | null;
  expiresAt: string | null;
  status: KeyStatus;
  createDate: string;
  lastUsed: { date: string; service: string; region: string } | null;
  principal: Principal;
}

export interface UserRecord {
  name: string;
  path: string;
  principal: Principal;
  attachedPolicies: string[];
  inlinePolicies: Map<string, string>;
  loginProfile: boolean;
}

export interface RoleRecord {
  name: string;
  inlinePolicies: Map<string, string>;
}

export interface StoredEvent {
  region: string;
  eventId: string;
  eventTime: Date;
  event: ScenarioEvent;
  cloudTrailEvent: string;
}

export interface AccountState {
  id: string;
  users: Map<string, UserRecord>;
  root: Principal;
  responderRole: { name: string; deny: Set<string>; trustedAccounts: Set<string> | null } | null;
  regions: string[];
  events: StoredEvent[];
  roles: Map<string, RoleRecord>;
  dailyCost: Record<string, number>;
}

export interface EmulatorState {
  accounts: Map<string, AccountState>;
  keys: Map<string, KeyRecord>;
  faults: Fault[];
}

export interface AwsEmulator {
  endpoint: string;
  /** Environment pointing the SDK at the emulator: AWS_ENDPOINT_URL_<SERVICE> and a region. */
  env: Record<string, string>;
  requests: RecordedRequest[];
  state: EmulatorState;
  /** Stops the server, dropping hung requests. */
  close(): Promise<void>;
}

const XMLNS: Record<string, string> = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  ec2: 'http://ec2.amazonaws.com/doc/2016-11-15/',
};

const QUARANTINE_DENIES = new Set([
  'iam:UpdateAccessKey',
  'iam:CreateAccessKey',
  'iam:AttachUserPolicy',
  'iam:PutUserPolicy',
  'cloudtrail:LookupEvents',
  'ec2:RunInstances',
]);

function xml(s: unknown): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An error AWS would answer with; shaped per protocol by `sendError`. */
class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

function userId(prefix: string): string {
  return (
    prefix +
    randomBytes(10)
      .toString('base64')
      .replace(/[^A-Z0-9]/gi, '')
      .toUpperCase()
      .padEnd(17, 'Q')
      .slice(0, 17)
  );
}

function buildState(scenario: Scenario): EmulatorState {
  const accounts = new Map<string, AccountState>();
  const keys = new Map<string, KeyRecord>();
  const addKey = (k: ScenarioKey, principal: Principal, extra: Partial<KeyRecord> = {}) => {
    keys.set(k.id, {
      id: k.id,
      secret: k.secret,
      sessionToken: null,
      expiresAt: null,
      status: k.status ?? 'Active',
      createDate: k.createDate ?? '2024-01-01T00:00:00Z',
      lastUsed: k.lastUsed ?? null,
      principal,
      ...extra,
    });
  };
  for (const a of scenario.accounts) {
    const root: Principal = {
      accountId: a.id,
      type: 'Root',
      arn: `arn:aws:iam::${a.id}:root`,
      userId: a.id,
      userName: null,
      deny: new Set(),
    };
    const acc: AccountState = {
      id: a.id,
      users: new Map(),
      root,
      responderRole:
        a.responderRole === false
          ? null
          : {
              name: a.responderRole?.name ?? 'keyleak-responder',
              deny: new Set(a.responderRole?.deny ?? []),
              trustedAccounts: a.responderRole?.trustedAccounts
                ? new Set(a.responderRole.trustedAccounts)
                : null,
            },
      regions: [...new Set(['us-east-1', ...(a.regions ?? ['us-east-1', 'us-west-2', 'eu-west-1'])])],
      events: [],
      roles: new Map((a.roles ?? []).map((name) => [name, { name, inlinePolicies: new Map() }])),
      dailyCost: { ...(a.dailyCost ?? {}) },
    };
    accounts.set(a.id, acc);
    for (const k of a.rootKeys ?? []) addKey(k, root);
    for (const u of a.users ?? []) {
      const path = u.path ?? '/';
      const principal: Principal = {
        accountId: a.id,
        type: 'IAMUser',
        arn: `arn:aws:iam::${a.id}:user${path}${u.name}`,
        userId: userId('AIDA'),
        userName: u.name,
        deny: new Set(u.deny ?? []),
      };
      acc.users.set(u.name, {
        name: u.name,
        path,
        principal,
        attachedPolicies: [...(u.attachedPolicies ?? [])],
        inlinePolicies: new Map(),
        loginProfile: u.loginProfile ?? false,
      });
      for (const k of u.keys ?? []) addKey(k, principal);
    }
    for (const e of a.events ?? []) addEvent(acc, e);
  }
  for (const s of scenario.sessions ?? []) {
    const principal: Principal = {
      accountId: s.accountId,
      type: 'AssumedRole',
      arn: `arn:aws:sts::${s.accountId}:assumed-role/${s.roleName}/${s.sessionName}`,
      userId: `${userId('AROA')}:${s.sessionName}`,
      userName: null,
      deny: new Set(),
    };
    addKey(s.key, principal, { sessionToken: s.key.sessionToken, expiresAt: s.key.expiresAt });
  }
  return { accounts, keys, faults: (scenario.faults ?? []).map((f) => ({ ...f })) };
}

/** The CloudTrail record of a scenario event, as LookupEvents returns it in `CloudTrailEvent`. */
export function recordBody(accountId: string, e: ScenarioEvent, eventId: string): Record<string, unknown> {
  const region = e.region ?? 'us-east-1';
  const eventSource = e.eventSource ?? 'iam.amazonaws.com';
  const body: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: e.userIdentity ?? {
      type: 'IAMUser',
      principalId: 'AIDAEMULATOR',
      arn: `arn:aws:iam::${accountId}:user/${e.userName ?? 'unknown'}`,
      accountId,
      accessKeyId: e.accessKeyId,
      userName: e.userName,
    },
    eventTime: e.eventTime,
    eventSource,
    eventName: e.eventName,
    awsRegion: region,
    sourceIPAddress: e.sourceIPAddress ?? '203.0.113.10',
    userAgent: e.userAgent ?? 'aws-cli/2.15.0',
    requestParameters: e.requestParameters ?? null,
    responseElements: e.responseElements ?? null,
    ...(e.additionalEventData ? { additionalEventData: e.additionalEventData } : {}),
    requestID: randomUUID(),
    eventID: eventId,
    readOnly: e.readOnly ?? /^(Get|List|Describe|Lookup)/.test(e.eventName),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: accountId,
  };
  if (e.errorCode) {
    body.errorCode = e.errorCode;
    body.errorMessage = e.errorMessage ?? `${e.errorCode}`;
  }
  return body;
}

function addEvent(acc: AccountState, e: ScenarioEvent): void {
  const region = e.region ?? 'us-east-1';
  const eventId = randomUUID();
  const eventSource = e.eventSource ?? 'iam.amazonaws.com';
  acc.events.push({
    region,
    eventId,
    eventTime: new Date(e.eventTime),
    event: { ...e, eventSource, region },
    cloudTrailEvent: JSON.stringify(recordBody(acc.id, e, eventId)),
  });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Starts an AWS emulator on 127.0.0.1 speaking STS, IAM and EC2 (query API, XML) and CloudTrail (JSON
 * 1.1), routed by the service and region of each request's SigV4 credential scope, so one server stands
 * in for every regional endpoint.
 */
export async function startAwsEmulator(scenario: Scenario): Promise<AwsEmulator> {
  const state = buildState(scenario);
  const requests: RecordedRequest[] = [];
  const rate = scenario.lookupEventsPerSecond === undefined ? 2 : scenario.lookupEventsPerSecond;
  const admitted = new Map<string, number[]>();
  const logCalls = scenario.logCallsToTrail ?? true;
  // Key id → when a request for it last failed its signature check (for the STS quirk).
  const lastBadSignature = new Map<string, number>();

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e));
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const auth = parseAuthorization(req.headers.authorization);
    const service = (auth?.service ?? 'unknown') as Service;
    const region = auth?.region ?? 'us-east-1';
    let params: Record<string, unknown> = {};
    let action = '';
    if (isJson(service)) {
      action =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      try {
        params = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        params = {};
      }
    } else {
      params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      action = String(params.Action ?? '');
    }
    const rec: RecordedRequest = {
      service,
      action,
      region,
      accessKeyId: auth?.accessKeyId ?? null,
      params,
      userAgent: String(req.headers['user-agent'] ?? ''),
      status: 200,
      errorCode: null,
      raw: { headers: { ...req.headers }, body: body.toString('utf8') },
    };
    requests.push(rec);

    const fault = takeFault(service, action, region, auth?.accessKeyId ?? null);
    if (fault) {
      if (fault.kind === 'hang') {
        rec.status = 0; // never answers; close() drops the socket
        return;
      }
      if (fault.kind === 'proxy-403') {
        rec.status = 403;
        res.writeHead(403, { 'content-type': 'text/html' });
        res.end('<html><body><h1>403 Forbidden</h1>Request blocked by proxy.</body></html>');
        return;
      }
      const err =
        fault.kind === '5xx'
          ? new AwsError(
              503,
              isJson(service) ? 'ServiceUnavailableException' : 'ServiceUnavailable',
              'Service is unavailable. Please try again later.',
            )
          : isJson(service)
            ? new AwsError(400, 'ThrottlingException', 'Rate exceeded')
            : new AwsError(400, service === 'ec2' ? 'RequestLimitExceeded' : 'Throttling', 'Rate exceeded');
      return sendError(res, rec, service, err);
    }

    let principal: Principal | null = null;
    let key: KeyRecord | null = null;
    try {
      if (!auth)
        throw new AwsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
      key = authenticate(req, body, auth);
      principal = key.principal;
      const result = await dispatch(service, action, region, params, principal, key);
      if (key.status === 'Active' && !key.sessionToken) {
        key.lastUsed = { date: isoSeconds(new Date()), service, region };
      }
      logCall(key, service, action, rec.userAgent, null, params);
      send(res, rec, service, action, result);
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      if (key && e.code !== 'SignatureDoesNotMatch')
        logCall(key, service, action, rec.userAgent, e.code, params);
      sendError(res, rec, service, e);
    }
  }

  function takeFault(service: string, action: string, region: string, keyId: string | null): Fault | null {
    const i = state.faults.findIndex(
      (f) =>
        (f.service === undefined || f.service === service) &&
        (f.action === undefined || f.action === action) &&
        (f.region === undefined || f.region === region) &&
        (f.accessKeyId === undefined || f.accessKeyId === keyId),
    );
    if (i < 0) return null;
    const f = state.faults[i]!;
    if (f.times !== undefined) {
      f.times--;
      if (f.times <= 0) state.faults.splice(i, 1);
    }
    return f;
  }

  function authenticate(req: IncomingMessage, body: Buffer, auth: ParsedAuthorization): KeyRecord {
    const key = state.keys.get(auth.accessKeyId);
    const invalid = () =>
      new AwsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (!key || key.status !== 'Active') throw invalid();
    if (key.sessionToken !== null) {
      if (req.headers['x-amz-security-token'] !== key.sessionToken) throw invalid();
      if (key.expiresAt && Date.parse(key.expiresAt) <= Date.now()) {
        throw new AwsError(400, 'ExpiredToken', 'The security token included in the request is expired');
      }
    }
    const ok = signatureMatches(
      { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body },
      auth,
      key.secret,
    );
    const quirk = scenario.signatureQuirkMs ?? 0;
    const recentBad = lastBadSignature.get(key.id);
    if (!ok) lastBadSignature.set(key.id, Date.now());
    // STS's quirk: a correct secret tried shortly after a wrong one for the same key id is refused too.
    if (
      !ok ||
      (quirk > 0 && auth.service === 'sts' && recentBad !== undefined && Date.now() - recentBad < quirk)
    ) {
      throw new AwsError(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    }
    return key;
  }

  function logCall(
    key: KeyRecord,
    service: string,
    action: string,
    userAgent: string,
    errorCode: string | null,
    params: Record<string, unknown>,
  ): void {
    if (!logCalls || (service !== 'sts' && service !== 'iam')) return;
    const acc = state.accounts.get(key.principal.accountId);
    if (!acc) return;
    const { Action: _a, Version: _v, PolicyDocument: _p, ...rest } = params;
    addEvent(acc, {
      region: 'us-east-1',
      eventName: action,
      eventSource: `${service}.amazonaws.com`,
      eventTime: isoSeconds(new Date()),
      accessKeyId: key.id,
      sourceIPAddress: '127.0.0.1',
      userAgent,
      userName: key.principal.userName ?? undefined,
      errorCode: errorCode ?? undefined,
      requestParameters: Object.keys(rest).length ? rest : null,
    });
  }

  function deny(p: Principal, permission: string, resource: string): void {
    let denied = p.deny.has(permission);
    if (!denied && p.type === 'IAMUser' && p.userName) {
      const user = state.accounts.get(p.accountId)?.users.get(p.userName);
      if (user?.attachedPolicies.some((n) => n.startsWith('AWSCompromisedKeyQuarantine'))) {
        denied = QUARANTINE_DENIES.has(permission);
      }
    }
    if (denied) {
      throw new AwsError(
        403,
        permission.startsWith('cloudtrail:')
          ? 'AccessDeniedException'
          : permission.startsWith('ec2:')
            ? 'UnauthorizedOperation'
            : 'AccessDenied',
        `User: ${p.arn} is not authorized to perform: ${permission} on resource: ${resource} because no identity-based policy allows the ${permission} action`,
      );
    }
  }

  function account(p: Principal): AccountState {
    return state.accounts.get(p.accountId)!;
  }

  function userOf(acc: AccountState, name: unknown): UserRecord {
    const u = acc.users.get(String(name ?? ''));
    if (!u) throw new AwsError(404, 'NoSuchEntity', `The user with name ${String(name)} cannot be found.`);
    return u;
  }

  async function dispatch(
    service: Service,
    action: string,
    region: string,
    p: Record<string, unknown>,
    who: Principal,
    key: KeyRecord,
  ): Promise<string | Record<string, unknown>> {
    const acc = account(who);
    if (service === 'sts') {
      if (action === 'GetCallerIdentity')
        return `<Arn>${xml(who.arn)}</Arn><UserId>${xml(who.userId)}</UserId><Account>${who.accountId}</Account>`;
      if (action === 'GetAccessKeyInfo') {
        deny(who, 'sts:GetAccessKeyInfo', '*');
        const k = state.keys.get(String(p.AccessKeyId));
        const owner = k?.principal.accountId ?? decodeAccount(String(p.AccessKeyId));
        if (!owner) throw new AwsError(400, 'InvalidParameterValue', 'Invalid access key id');
        return `<Account>${owner}</Account>`;
      }
      if (action === 'AssumeRole') {
        const roleArn = String(p.RoleArn ?? '');
        const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
        const target = m ? state.accounts.get(m[1]!) : undefined;
        const role = target?.responderRole;
        const notAuthorized = new AwsError(
          403,
          'AccessDenied',
          `User: ${who.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        );
        deny(who, 'sts:AssumeRole', roleArn);
        if (!m || !target || !role || role.name !== m[2]) throw notAuthorized;
        if (role.trustedAccounts && !role.trustedAccounts.has(who.accountId)) throw notAuthorized;
        const session = String(p.RoleSessionName ?? 'session');
        const duration = Number(p.DurationSeconds ?? 3600);
        const expiresAt = isoSeconds(new Date(Date.now() + duration * 1000));
        const id = makeKeyId('ASIA', target.id);
        const secret = makeSecret();
        const token = makeSessionToken();
        const principal: Principal = {
          accountId: target.id,
          type: 'AssumedRole',
          arn: `arn:aws:sts::${target.id}:assumed-role/${role.name}/${session}`,
          userId: `${userId('AROA')}:${session}`,
          userName: null,
          deny: role.deny,
        };
        state.keys.set(id, {
          id,
          secret,
          sessionToken: token,
          expiresAt,
          status: 'Active',
          createDate: isoSeconds(new Date()),
          lastUsed: null,
          principal,
        });
        return (
          `<Credentials><AccessKeyId>${id}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey>` +
          `<SessionToken>${token}</SessionToken><Expiration>${expiresAt}</Expiration></Credentials>` +
          `<AssumedRoleUser><AssumedRoleId>${xml(principal.userId)}</AssumedRoleId><Arn>${xml(principal.arn)}</Arn></AssumedRoleUser>`
        );
      }
    }
    if (service === 'iam') {
      if (action === 'GetAccessKeyLastUsed') {
        const id = String(p.AccessKeyId ?? '');
        deny(who, 'iam:GetAccessKeyLastUsed', `access key ${id}`);
        const k = state.keys.get(id);
        if (!k || k.status === 'Deleted' || k.sessionToken || k.principal.accountId !== acc.id) {
          throw new AwsError(
            403,
            'AccessDenied',
            `User: ${who.arn} is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key ${id}`,
          );
        }
        const lu = k.lastUsed;
        return (
          `<UserName>${xml(k.principal.userName ?? 'root')}</UserName><AccessKeyLastUsed>` +
          (lu ? `<LastUsedDate>${lu.date}</LastUsedDate>` : '') +
          `<ServiceName>${lu ? lu.service : 'N/A'}</ServiceName><Region>${lu ? lu.region : 'N/A'}</Region></AccessKeyLastUsed>`
        );
      }
      if (action === 'ListAccessKeys') {
        const user = p.UserName !== undefined ? userOf(acc, p.UserName) : null;
        deny(who, 'iam:ListAccessKeys', `user ${user?.name ?? who.userName}`);
        const principal = user?.principal ?? who;
        const members = [...state.keys.values()]
          .filter((k) => k.principal === principal && k.status !== 'Deleted' && !k.sessionToken)
          .map(
            (k) =>
              `<member><UserName>${xml(principal.userName ?? '')}</UserName><AccessKeyId>${k.id}</AccessKeyId><Status>${k.status}</Status><CreateDate>${k.createDate}</CreateDate></member>`,
          );
        return `<AccessKeyMetadata>${members.join('')}</AccessKeyMetadata><IsTruncated>false</IsTruncated>`;
      }
      if (action === 'UpdateAccessKey') {
        const id = String(p.AccessKeyId ?? '');
        const user = p.UserName !== undefined ? userOf(acc, p.UserName) : null;
        deny(who, 'iam:UpdateAccessKey', `user ${user?.name ?? who.userName ?? 'root'}`);
        const principal = user?.principal ?? who;
        const k = state.keys.get(id);
        if (!k || k.principal !== principal || k.status === 'Deleted') {
          throw new AwsError(404, 'NoSuchEntity', `The Access Key with id ${id} cannot be found.`);
        }
        if (p.Status !== 'Active' && p.Status !== 'Inactive') {
          throw new AwsError(
            400,
            'ValidationError',
            `1 validation error detected: Value '${String(p.Status)}' at 'status' failed to satisfy constraint`,
          );
        }
        k.status = p.Status;
        return '';
      }
      if (action === 'ListAttachedUserPolicies') {
        const user = userOf(acc, p.UserName);
        deny(who, 'iam:ListAttachedUserPolicies', `user ${user.name}`);
        const members = user.attachedPolicies.map(
          (n) =>
            `<member><PolicyName>${xml(n)}</PolicyName><PolicyArn>arn:aws:iam::aws:policy/${xml(n)}</PolicyArn></member>`,
        );
        return `<AttachedPolicies>${members.join('')}</AttachedPolicies><IsTruncated>false</IsTruncated>`;
      }
      if (action === 'AttachUserPolicy') {
        const user = userOf(acc, p.UserName);
        deny(who, 'iam:AttachUserPolicy', `user ${user.name}`);
        // Only this account's own managed policies (the revoke policy its administrators created).
        const m = /^arn:aws:iam::(\d{12}):policy\/([\w+=,.@-]+)$/.exec(String(p.PolicyArn ?? ''));
        if (!m || m[1] !== acc.id) {
          throw new AwsError(
            404,
            'NoSuchEntity',
            `Policy ${String(p.PolicyArn)} does not exist or is not attachable.`,
          );
        }
        if (!user.attachedPolicies.includes(m[2]!)) user.attachedPolicies.push(m[2]!);
        return '';
      }
      if (action === 'PutUserPolicy') {
        const user = userOf(acc, p.UserName);
        deny(who, 'iam:PutUserPolicy', `user ${user.name}`);
        try {
          JSON.parse(String(p.PolicyDocument ?? ''));
        } catch {
          throw new AwsError(400, 'MalformedPolicyDocument', 'Syntax errors in policy.');
        }
        user.inlinePolicies.set(String(p.PolicyName), String(p.PolicyDocument));
        return '';
      }
    }
    if (service === 'ec2' && action === 'DescribeRegions') {
      deny(who, 'ec2:DescribeRegions', '*');
      const items = acc.regions.map(
        (r) =>
          `<item><regionName>${r}</regionName><regionEndpoint>ec2.${r}.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>`,
      );
      return `<regionInfo>${items.join('')}</regionInfo>`;
    }
    if (service === 'iam' && action === 'DeleteLoginProfile') {
      const user = userOf(acc, p.UserName);
      deny(who, 'iam:DeleteLoginProfile', `user ${user.name}`);
      if (!user.loginProfile)
        throw new AwsError(404, 'NoSuchEntity', `Login Profile for User ${user.name} cannot be found.`);
      user.loginProfile = false;
      return '';
    }
    if (service === 'iam' && action === 'PutRolePolicy') {
      const name = String(p.RoleName ?? '');
      deny(who, 'iam:PutRolePolicy', `role ${name}`);
      const role = acc.roles.get(name);
      if (!role) throw new AwsError(404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
      try {
        JSON.parse(String(p.PolicyDocument ?? ''));
      } catch {
        throw new AwsError(400, 'MalformedPolicyDocument', 'Syntax errors in policy.');
      }
      role.inlinePolicies.set(String(p.PolicyName), String(p.PolicyDocument));
      return '';
    }
    if (service === 'ce' && action === 'GetCostAndUsage') {
      deny(who, 'ce:GetCostAndUsage', '*');
      const period = (p.TimePeriod ?? {}) as { Start?: string; End?: string };
      if (!period.Start || !period.End || period.Start >= period.End || p.Granularity !== 'DAILY') {
        throw new AwsError(
          400,
          'ValidationException',
          'Start date must be before end date; granularity DAILY',
        );
      }
      const results = [];
      for (let d = Date.parse(period.Start); d < Date.parse(period.End); d += 86_400_000) {
        const day = new Date(d).toISOString().slice(0, 10);
        const next = new Date(d + 86_400_000).toISOString().slice(0, 10);
        results.push({
          TimePeriod: { Start: day, End: next },
          Total: { UnblendedCost: { Amount: String(acc.dailyCost[day] ?? 0), Unit: 'USD' } },
          Groups: [],
          Estimated: false,
        });
      }
      return { ResultsByTime: results, DimensionValueAttributes: [] };
    }
    if (service === 'cloudtrail' && action === 'LookupEvents') {
      deny(who, 'cloudtrail:LookupEvents', '*');
      return lookupEvents(acc, region, p);
    }
    void key;
    throw new AwsError(
      400,
      isJson(service) ? 'UnknownOperationException' : 'InvalidAction',
      `Could not find operation ${action} for version`,
    );
  }

  function lookupEvents(
    acc: AccountState,
    region: string,
    p: Record<string, unknown>,
  ): Record<string, unknown> {
    if (rate !== null) {
      const k = `${acc.id}/${region}`;
      const now = Date.now();
      const recent = (admitted.get(k) ?? []).filter((t) => now - t < 1000);
      if (recent.length >= rate) throw new AwsError(400, 'ThrottlingException', 'Rate exceeded');
      recent.push(now);
      admitted.set(k, recent);
    }
    const max = p.MaxResults === undefined ? 50 : Number(p.MaxResults);
    if (!Number.isInteger(max) || max < 1 || max > 50) {
      throw new AwsError(400, 'InvalidMaxResultsException', 'MaxResults must be between 1 and 50.');
    }
    const attrs =
      (p.LookupAttributes as { AttributeKey: string; AttributeValue: string }[] | undefined) ?? [];
    if (attrs.length > 1) {
      throw new AwsError(
        400,
        'InvalidLookupAttributesException',
        'You cannot specify more than one lookup attribute.',
      );
    }
    const start = p.StartTime === undefined ? -Infinity : Number(p.StartTime) * 1000;
    const end = p.EndTime === undefined ? Infinity : Number(p.EndTime) * 1000;
    const matches = acc.events
      .filter((e) => e.region === region)
      .filter((e) => e.eventTime.getTime() >= start && e.eventTime.getTime() <= end)
      .filter((e) =>
        attrs.every((a) =>
          a.AttributeKey === 'AccessKeyId'
            ? e.event.accessKeyId === a.AttributeValue
            : a.AttributeKey === 'EventName'
              ? e.event.eventName === a.AttributeValue
              : true,
        ),
      )
      .sort((a, b) => b.eventTime.getTime() - a.eventTime.getTime());
    const queryHash = createHash('sha256')
      .update(JSON.stringify([region, attrs, start, end]))
      .digest('hex')
      .slice(0, 16);
    let offset = 0;
    if (p.NextToken !== undefined) {
      const m = /^(\d+):([0-9a-f]{16})$/.exec(Buffer.from(String(p.NextToken), 'base64').toString('utf8'));
      if (!m || m[2] !== queryHash) throw new AwsError(400, 'InvalidNextTokenException', 'Invalid NextToken');
      offset = Number(m[1]);
    }
    const page = matches.slice(offset, offset + max);
    const out: Record<string, unknown> = {
      Events: page.map((e) => {
        const ev: Record<string, unknown> = {
          EventId: e.eventId,
          EventName: e.event.eventName,
          ReadOnly: String(JSON.parse(e.cloudTrailEvent).readOnly),
          AccessKeyId: e.event.accessKeyId,
          EventTime: e.eventTime.getTime() / 1000,
          EventSource: e.event.eventSource,
          Resources: e.event.resources ?? [],
          CloudTrailEvent: e.cloudTrailEvent,
        };
        if (e.event.userName) ev.Username = e.event.userName;
        return ev;
      }),
    };
    if (offset + max < matches.length) {
      out.NextToken = Buffer.from(`${offset + max}:${queryHash}`).toString('base64');
    }
    return out;
  }

  function send(
    res: ServerResponse,
    rec: RecordedRequest,
    service: Service,
    action: string,
    result: string | Record<string, unknown>,
  ): void {
    const requestId = randomUUID();
    if (isJson(service)) {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId });
      res.end(JSON.stringify(result));
      return;
    }
    const ns = XMLNS[service] ?? '';
    const text =
      service === 'ec2'
        ? `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${ns}"><requestId>${requestId}</requestId>${result as string}</${action}Response>`
        : `<${action}Response xmlns="${ns}">` +
          (result === '' ? '' : `<${action}Result>${result as string}</${action}Result>`) +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
    rec.status = 200;
    res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
    res.end(text);
  }

  function sendError(res: ServerResponse, rec: RecordedRequest, service: Service, e: AwsError): void {
    const requestId = randomUUID();
    rec.status = e.status;
    rec.errorCode = e.code;
    if (isJson(service)) {
      // JSON protocol services name an invalid key and a bad signature differently from query ones.
      const code =
        e.code === 'InvalidClientTokenId'
          ? 'UnrecognizedClientException'
          : e.code === 'SignatureDoesNotMatch'
            ? 'InvalidSignatureException'
            : e.code;
      rec.errorCode = code;
      res.writeHead(e.status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': `${code}:`,
      });
      res.end(JSON.stringify({ __type: code, message: e.message }));
      return;
    }
    if (service === 'ec2') {
      const code =
        e.code === 'InvalidClientTokenId' || e.code === 'SignatureDoesNotMatch' ? 'AuthFailure' : e.code;
      rec.errorCode = code;
      res.writeHead(e.status, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${xml(e.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      );
      return;
    }
    const ns = XMLNS[service] ?? XMLNS.sts;
    res.writeHead(e.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
    res.end(
      `<ErrorResponse xmlns="${ns}">\n  <Error>\n    <Type>${e.type}</Type>\n    <Code>${e.code}</Code>\n    <Message>${xml(e.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL_STS: endpoint,
      AWS_ENDPOINT_URL_IAM: endpoint,
      AWS_ENDPOINT_URL_CLOUDTRAIL: endpoint,
      AWS_ENDPOINT_URL_EC2: endpoint,
      AWS_ENDPOINT_URL_COST_EXPLORER: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    requests,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function decodeAccount(keyId: string): string | null {
  if (!/^A[KS]IA[A-Z2-7]{16}$/.test(keyId)) return null;
  let bits = 0n;
  for (const ch of keyId.slice(4)) bits = (bits << 5n) | BigInt(B32.indexOf(ch));
  return (((bits >> 32n) & 0x7fffffffff80n) >> 7n).toString().padStart(12, '0');
}
