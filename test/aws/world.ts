import { vi } from 'vitest';
import { createAws, type Aws } from '../../src/adapters/aws.js';
import type { SecretMaterial } from '../../src/core/findings.js';
import { accountIdFromKeyId, isCanaryAccount, keyKind } from '../../src/core/keyid.js';
import { fingerprintKeyId, redactSecret } from '../../src/core/redact.js';
import type { Finding } from '../../src/core/types.js';
import type { ScanResult } from '../../src/scan/result.js';
import { startAwsEmulator, type AwsEmulator, type Scenario } from '../emulators/aws/index.js';
import { makeKeyId, makePair, makeSecret, makeSessionToken, type KeyPair } from '../helpers/keys.js';

export const MANAGED = '123456789012';
export const OTHER = '210987654321';
export const RESPONDER_HOME = '333344445555';

/** Every kind of key a responder meets, in a managed account and one keyleak does not manage. */
export function standardKeys() {
  return {
    responder: makePair('AKIA', MANAGED),
    alice: makePair('AKIA', MANAGED), // live
    bob: makePair('AKIA', MANAGED), // inactive in IAM
    carol: makePair('AKIA', MANAGED), // live, quarantined by AWS
    dave: makePair('AKIA', MANAGED), // found without its secret
    deleted: makePair('AKIA', MANAGED),
    root: makePair('AKIA', MANAGED),
    eve: makePair('AKIA', OTHER), // live, unmanaged account
    session: { ...makePair('ASIA', MANAGED), token: makeSessionToken() },
    expired: { ...makePair('ASIA', MANAGED), token: makeSessionToken() },
    central: makePair('AKIA', RESPONDER_HOME),
  };
}

export type Keys = ReturnType<typeof standardKeys>;

export function standardScenario(k: Keys, extra: Partial<Scenario> = {}): Scenario {
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  return {
    accounts: [
      {
        id: MANAGED,
        users: [
          { name: 'responder', keys: [{ id: k.responder.keyId, secret: k.responder.secret }] },
          { name: 'alice', path: '/eng/', keys: [{ id: k.alice.keyId, secret: k.alice.secret }] },
          { name: 'bob', keys: [{ id: k.bob.keyId, secret: k.bob.secret, status: 'Inactive' }] },
          {
            name: 'carol',
            keys: [{ id: k.carol.keyId, secret: k.carol.secret }],
            attachedPolicies: ['AWSCompromisedKeyQuarantineV2'],
          },
          {
            name: 'dave',
            keys: [
              {
                id: k.dave.keyId,
                secret: k.dave.secret,
                lastUsed: { date: '2026-01-02T03:04:05Z', service: 's3', region: 'eu-west-1' },
              },
            ],
          },
          { name: 'gone', keys: [{ id: k.deleted.keyId, secret: k.deleted.secret, status: 'Deleted' }] },
        ],
        rootKeys: [{ id: k.root.keyId, secret: k.root.secret }],
        responderRole: { trustedAccounts: [RESPONDER_HOME, MANAGED] },
      },
      {
        id: OTHER,
        users: [{ name: 'eve', keys: [{ id: k.eve.keyId, secret: k.eve.secret }] }],
        responderRole: { trustedAccounts: [RESPONDER_HOME] },
      },
      {
        id: RESPONDER_HOME,
        users: [{ name: 'keyleak', keys: [{ id: k.central.keyId, secret: k.central.secret }] }],
        responderRole: false,
      },
    ],
    sessions: [
      {
        accountId: MANAGED,
        roleName: 'deploy',
        sessionName: 'ci',
        key: {
          id: k.session.keyId,
          secret: k.session.secret,
          sessionToken: k.session.token,
          expiresAt: inAnHour,
        },
      },
      {
        accountId: MANAGED,
        roleName: 'deploy',
        sessionName: 'old',
        key: {
          id: k.expired.keyId,
          secret: k.expired.secret,
          sessionToken: k.expired.token,
          expiresAt: hourAgo,
        },
      },
    ],
    ...extra,
  };
}

/**
 * Points the real SDK at the emulator through AWS_ENDPOINT_URL_<SERVICE>, with responder credentials in
 * the environment (the default chain) and no config files or instance metadata to fall back on.
 */
export function useEmulatorEnv(emu: AwsEmulator, responder: KeyPair | null): void {
  for (const [k, v] of Object.entries(emu.env)) vi.stubEnv(k, v);
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/keyleak-test-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/keyleak-test-credentials');
  vi.stubEnv('AWS_PROFILE', undefined);
  vi.stubEnv('AWS_SESSION_TOKEN', undefined);
  vi.stubEnv('AWS_ROLE_ARN', undefined);
  vi.stubEnv('AWS_WEB_IDENTITY_TOKEN_FILE', undefined);
  vi.stubEnv('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', undefined);
  vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', undefined);
  vi.stubEnv('AWS_ACCESS_KEY_ID', responder?.keyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', responder?.secret);
}

export function testAws(timeoutMs = 2_000): Aws {
  return createAws({ region: 'us-east-1', timeoutMs, maxAttempts: 1 });
}

export async function startWorld(
  extra: Partial<Scenario> = {},
  responder: 'managed' | 'central' | 'none' = 'managed',
  tweak: (s: Scenario, k: Keys) => void = () => {},
) {
  const keys = standardKeys();
  const scenario = standardScenario(keys, extra);
  tweak(scenario, keys);
  const emu = await startAwsEmulator(scenario);
  useEmulatorEnv(
    emu,
    responder === 'managed' ? keys.responder : responder === 'central' ? keys.central : null,
  );
  return { keys, emu };
}

export interface Found {
  keyId: string;
  secrets?: string[];
  sessionTokens?: string[];
  canary?: boolean;
}

/** A scan result as the scanner would produce it for these keys. */
export function scanResultOf(found: Found[]): ScanResult {
  const secrets = new Map<string, SecretMaterial>();
  const findings: Finding[] = found.map((f) => {
    const accountId = accountIdFromKeyId(f.keyId);
    if (f.secrets?.length) secrets.set(f.keyId, { secrets: f.secrets, sessionTokens: f.sessionTokens ?? [] });
    return {
      keyId: f.keyId,
      keyKind: keyKind(f.keyId),
      accountId,
      canary: f.canary ?? isCanaryAccount(accountId),
      secretFound: Boolean(f.secrets?.length),
      secretRedacted: f.secrets?.[0] ? redactSecret(f.secrets[0]) : null,
      sessionTokenFound: Boolean(f.sessionTokens?.length),
      fingerprint: fingerprintKeyId(f.keyId),
      locations: [
        {
          commit: 'a'.repeat(40),
          path: 'config/prod.env',
          line: 1,
          author: 'A <a@example.com>',
          date: '2026-01-01T00:00:00Z',
        },
      ],
    };
  });
  return {
    report: {
      findings,
      suppressed: [],
      stats: { mode: 'all', objectsScanned: 1, bytesScanned: 1, commitsScanned: 1, durationMs: 1 },
      incomplete: false,
      warnings: [],
    },
    secrets,
  };
}

/** Every secret of the world, for asserting none leaks into an output. */
export function allSecrets(k: Keys): string[] {
  return Object.values(k)
    .flatMap((p) => ['secret' in p ? p.secret : '', 'token' in p ? p.token : ''])
    .filter(Boolean);
}

export { makeKeyId, makeSecret };
