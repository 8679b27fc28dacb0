import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AwsEmulator } from '../emulators/aws/index.js';
import { startWorld } from './world.js';

let emu: AwsEmulator | null = null;
afterEach(async () => {
  await emu?.close();
  emu = null;
  vi.unstubAllEnvs();
});

describe('the AWS emulator', () => {
  it('answers an unsigned query call with an XML ErrorResponse shaped as AWS does', async () => {
    emu = (await startWorld()).emu;
    const res = await fetch(emu.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toMatch(
      /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\s*<Error>\s*<Type>Sender<\/Type>\s*<Code>MissingAuthenticationToken<\/Code>\s*<Message>[^<]+<\/Message>\s*<\/Error>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>\s*<\/ErrorResponse>/,
    );
  });

  it('refuses a request whose signature does not match, even from a known key', async () => {
    const w = await startWorld();
    emu = w.emu;
    const res = await fetch(emu.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-amz-date': '20260101T000000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=${w.keys.alice.keyId}/20260101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/<Code>SignatureDoesNotMatch<\/Code>/);
  });

  it('holds LookupEvents to MaxResults ≤ 50, as CloudTrail does', async () => {
    emu = (await startWorld()).emu;
    const ct = new CloudTrailClient({ region: 'eu-west-1', maxAttempts: 1 });
    await expect(ct.send(new LookupEventsCommand({ MaxResults: 51 }))).rejects.toMatchObject({
      name: 'InvalidMaxResultsException',
    });
    expect(emu.requests.at(-1)).toMatchObject({
      service: 'cloudtrail',
      region: 'eu-west-1',
      action: 'LookupEvents',
    });
  });
});
