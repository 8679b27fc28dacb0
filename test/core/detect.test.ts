import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  analyseText,
  LineAnalyzer,
  looksLikeSecret,
  mayHoldDecodedKeyId,
  mayHoldKeyId,
  mayHoldLabelledSecret,
} from '../../src/core/detect.js';
import { AWS_SECRET_LABEL, visitSecretLabels } from '../../src/core/rules.js';
import { makeKeyId, makeSecret, makeSessionToken } from '../helpers/keys.js';

const ids = (text: string) => analyseText(text).keyIds.map((k) => k.keyId);

describe('key ids', () => {
  it.each(['AKIA', 'ASIA', 'ABIA', 'ACCA'])('finds %s ids as whole tokens', (prefix) => {
    const id = makeKeyId(prefix);
    expect(ids(`key = "${id}"`)).toEqual([id]);
    expect(ids(`${id}`)).toEqual([id]);
    expect(ids(`x:${id},`)).toEqual([id]);
  });

  it('finds legacy A3T ids', () => {
    const id = 'A3TX' + makeKeyId().slice(4);
    expect(ids(`id=${id}`)).toEqual([id]);
  });

  it('ignores ids inside a longer alphanumeric run', () => {
    const id = makeKeyId();
    expect(ids(`X${id}`)).toEqual([]);
    expect(ids(`${id}Q`)).toEqual([]);
    expect(ids(`abc${id}123`)).toEqual([]);
  });

  it.each(['AIDA', 'AROA', 'AGPA', 'AIPA', 'ANPA', 'ANVA', 'APKA', 'ASCA'])(
    'never reports the IAM unique id %s as a key',
    (prefix) => {
      const id = prefix + makeKeyId().slice(4);
      expect(ids(`"UserId": "${id}"`)).toEqual([]);
    },
  );

  it('sees ids glued to JSON escapes in notebooks and to URL-encoded separators', () => {
    const id = makeKeyId();
    expect(ids(`"source": ["import boto3\\n${id}\\n"]`)).toEqual([id]);
    expect(ids(`?AWSAccessKeyId%3D${id}%26x`)).toEqual([id]);
  });

  it('reports 1-based lines, counting CRLF lines as people see them', () => {
    const id = makeKeyId();
    const a = analyseText(`one\r\ntwo\r\nkey=${id}\r\n`);
    expect(a.keyIds).toEqual([{ keyId: id, line: 3, marker: null }]);
  });

  it('marks ids on a line carrying keyleak:allow', () => {
    const id = makeKeyId();
    expect(analyseText(`key=${id} # keyleak:allow`).keyIds[0]!.marker).toBe('keyleak:allow');
  });

  it('the prefilter is a superset of what the full analysis finds', () => {
    const id = makeKeyId();
    expect(mayHoldKeyId(`abc ${id}`)).toBe(true);
    expect(mayHoldKeyId('nothing to see here')).toBe(false);
  });
});

describe('the first pass sees encoded key ids', () => {
  const latin1 = (b: Buffer) => b.toString('latin1');
  const le = (t: string) => latin1(Buffer.from(t, 'utf16le'));
  const be = (t: string) => latin1(Buffer.from(t, 'utf16le').swap16());
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const escaped = (t: string) =>
    [...t].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  const prefixes = ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3TX'];
  const encodings: [string, (id: string) => string][] = [
    ['UTF-16 LE', (id) => le(`key=${id}`)],
    ['UTF-16 BE', (id) => be(`key=${id}`)],
    ['UTF-16 LE, odd offset', (id) => `x${le(`key=${id}`)}`],
    ['every character a JSON \\u escape', (id) => `"${escaped(id)}"`],
    ['one character a JSON \\u escape', (id) => `"${id.slice(0, 19)}${escaped(id.slice(19))}"`],
    ['HTML decimal entities', (id) => [...id].map((c) => `&#${c.charCodeAt(0)};`).join('')],
    [
      'HTML hex entities with leading zeros',
      (id) => [...id].map((c) => `&#x00${c.charCodeAt(0).toString(16)};`).join(''),
    ],
    ['base64, aligned', (id) => b64(id)],
    ['base64, one byte in', (id) => b64(`:${id}`)],
    ['base64, two bytes in', (id) => b64(`id${id}:secret`)],
  ];
  it.each(encodings)('%s', (_, encode) => {
    for (const p of prefixes) {
      const id = p + makeKeyId().slice(4);
      expect(mayHoldKeyId(encode(id)), `${p}…`).toBe(true);
    }
  });

  it.each([
    [
      'escapes of punctuation and non-ASCII',
      '"\\u003c\\u003e\\u0026 caf\\u00e9 &#39;&#60;&#x27;&#8217;&amp;"',
    ],
    ['UTF-16 text without a key id', le('Windows Registry Editor Version 5.00\r\n[HKEY_CURRENT_USER]')],
    ['base64 of text without a key id', b64('[default]\nregion = eu-west-1\noutput = json\n'.repeat(20))],
    ['random base64 (images in notebooks, data URIs)', randomBytes(1 << 20).toString('base64')],
  ])('nothing in %s', (_, text) => {
    expect(mayHoldKeyId(text)).toBe(false);
  });
});

describe('a text without key ids is analysed in full only where a labelled secret may be', () => {
  const secret = makeSecret();
  const entities = [...secret].map((c) => `&#${c.charCodeAt(0)};`).join('');
  const utf16 = Buffer.from(`aws_secret_access_key = ${secret}\r\n`, 'utf16le').toString('latin1');
  it.each([
    ['an ini file', `[default]\naws_secret_access_key = ${secret}\n`, true],
    ['an env file', `AWS_SECRET_ACCESS_KEY=${secret}\n`, true],
    ['a JSON value with escaped slashes', `{"SecretAccessKey": "${secret.replace(/\//g, '\\u002f')}"}`, true],
    ['an entity-encoded value', `<td>aws_secret_access_key</td><td>${entities}</td>`, true],
    ['a base64 value', `aws_secret_access_key: ${Buffer.from(secret).toString('base64')}\n`, true],
    ['UTF-16 text', utf16, true],
    [
      'an API model naming the field',
      '{"SecretAccessKey":{"shape":"AccessKeySecretType","documentation":"<p>The secret access key that can be used to sign requests.</p>"}}\n'.repeat(
        50,
      ),
      false,
    ],
    ['a label with its value on the next line', `aws_secret_access_key:\n  ${secret}\n`, false],
    ['a value far past the label', `aws_secret_access_key = ${'x '.repeat(60)}${secret}\n`, false],
    [
      'thousands of labels (analysed in full rather than looked at one by one)',
      'SecretAccessKey '.repeat(5000),
      true,
    ],
  ])('%s: %s', (_what, text, expected) => {
    expect(mayHoldLabelledSecret(text)).toBe(expected);
  });
});

describe('secrets', () => {
  it('finds labelled and unlabelled secrets', () => {
    const s1 = makeSecret();
    const s2 = makeSecret();
    const a = analyseText(`aws_secret_access_key = ${s1}\nfoo("${s2}")\n`);
    expect(a.secrets).toEqual([
      { value: s1, line: 1, labelled: true, awsLabelled: true },
      { value: s2, line: 2, labelled: false },
    ]);
  });

  it('finds secrets whose slashes happen to frame a lowercase run, like a path', () => {
    const r = makeSecret();
    const s = `${r.slice(0, 3)}/abc/${r.slice(8)}`;
    expect(analyseText(`secret = ${s}`).secrets.map((x) => x.value)).toEqual([s]);
  });

  it('does not take git SHAs or other hex strings for secrets', () => {
    expect(analyseText('commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904').secrets).toEqual([]);
    expect(looksLikeSecret('4B825DC642CB6EB9A060E54BF8D69288FBEE4904')).toBe(false);
  });

  it('does not take runs inside longer base64 (integrity hashes) for secrets', () => {
    const long = makeSecret() + makeSecret();
    expect(analyseText(`"integrity": "sha512-${long}=="`).secrets).toEqual([]);
    expect(analyseText(`x=${makeSecret()}==`).secrets).toEqual([]);
  });

  it('does not take placeholders for secrets', () => {
    expect(analyseText('secret = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx').secrets).toEqual([]);
    expect(analyseText('secret = YOUR_SECRET_ACCESS_KEY_GOES_HERE_PLEASE_X').secrets).toEqual([]);
  });

  it.each([
    ['the documentation secret', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['its published variant with a plus', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'],
    ['the IAM guide second example', 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY'],
    ['a run with EXAMPLE inside', '7359755EXAMPLEabc3060bce3EXAMPLEec4542a3'],
  ])('marks %s as documentation, never a candidate', (_, value) => {
    expect(analyseText(`secret = ${value}`).secrets).toEqual([
      { value, line: 1, labelled: true, documented: true },
    ]);
    expect(looksLikeSecret(value)).toBe(false);
  });

  it('matches through URL encoding and JSON escapes', () => {
    let s = makeSecret();
    while (!s.includes('/') && !s.includes('+')) s = makeSecret();
    const url = s.replace(/\+/g, '%2B').replace(/\//g, '%2F');
    expect(analyseText(`https://x/?secret=${url}&a=1`).secrets.map((x) => x.value)).toEqual([s]);
    const json = s.replace(/\//g, '\\/');
    expect(analyseText(`{"secret": "${json}"}`).secrets.map((x) => x.value)).toEqual([s]);
  });

  it('finds session tokens when labelled or carrying the STS prefix', () => {
    const t = makeSessionToken();
    expect(analyseText(`aws_session_token=${t}`).tokens.map((x) => x.value)).toEqual([t]);
    expect(analyseText(`"${t}"`).tokens.map((x) => x.value)).toEqual([t]);
  });
});

describe('streaming', () => {
  it('finds the same things whatever the piece boundaries', () => {
    const id = makeKeyId();
    const s = makeSecret();
    const text = `line\n${'x'.repeat(100)}\nkey=${id}\nsecret=${s}\nend`;
    const whole = analyseText(text);
    for (let cut = 1; cut < text.length; cut += 7) {
      const a = new LineAnalyzer();
      a.push(text.slice(0, cut));
      a.push(text.slice(cut));
      expect(a.end()).toEqual(whole);
    }
  });

  it('analyses a line longer than the line cap in overlapping pieces', () => {
    const id = makeKeyId();
    const a = new LineAnalyzer();
    const filler = 'a '.repeat(LineAnalyzer.MAX_LINE);
    a.push(filler);
    a.push(` ${id} `);
    a.push(filler + '\nnext');
    expect(a.end().keyIds).toEqual([{ keyId: id, line: 1, marker: null }]);
  });
});

describe('base64 values under credential-like names', () => {
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const escapeOne = (t: string, i: number) =>
    `${t.slice(0, i)}\\u00${t.charCodeAt(i).toString(16)}${t.slice(i + 1)}`;
  const keyIdsOnly = (text: string) => {
    const a = new LineAnalyzer(true);
    a.push(text);
    return a.end().keyIds.map((k) => k.keyId);
  };
  const cases: [string, (id: string) => string][] = [
    ['a Kubernetes Secret', (id) => `data:\n  aws_access_key_id: ${b64(id)}\n`],
    ['a docker config auth', (id) => `{"auths": {"x": {"auth": "${b64(`user:${id}`)}"}}}`],
    ['an env file, quoted', (id) => `API_TOKEN='${b64(id)}'`],
    ['spaces around the separator', (id) => `secret_key   =   "${b64(`${id}\n`)}"`],
    ['a value whose base64 is JSON-escaped', (id) => `{"password": "${escapeOne(b64(id), 2)}"}`],
    [
      'a value that decodes to escaped text',
      (id) => `credentials: ${b64(`[x]\nid = \\u0041${id.slice(1)}\n`)}`,
    ],
  ];
  it.each(cases)('finds the key id in %s, with or without the secret patterns', (_, make) => {
    const id = makeKeyId();
    expect(ids(make(id))).toEqual([id]);
    expect(keyIdsOnly(make(id))).toEqual([id]);
  });

  it.each([
    ['no credential-like name', (id: string) => `data: ${b64(id)}`],
    ['a value too short to be base64 of interest', () => `token: ${b64('x'.repeat(17))}`],
    ['binary base64', () => `secret: ${randomBytes(30).toString('base64').replace(/[=]/g, '')}x`],
  ])('finds nothing with %s', (_, make) => {
    expect(keyIdsOnly(make(makeKeyId()))).toEqual([]);
  });
});

describe('where the prefilter sees no key id, only escaped base64 can give the analysis one', () => {
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  // The prefilter's escapes cover upper-case letters and digits alone: the third digit of a key id's
  // base64 is a lower-case letter.
  const escaped = (id: string) =>
    `${b64(id).slice(0, 2)}\\u00${b64(id).charCodeAt(2).toString(16)}${b64(id).slice(3)}`;
  const entity = (id: string) => `${b64(id).slice(0, 2)}&#${b64(id).charCodeAt(2)};${b64(id).slice(3)}`;
  const model =
    '{"SecretAccessKey":{"shape":"AuthorizeSecurityGroupIngressResult","documentation":"<p>The secret access key &amp; its \\"id\\".</p>\\n"},\n' +
    '  "RoleSessionName": "EKSDescribeClusterSessionName",\n';
  // What the analysis for key ids alone finds, and whether the look ahead of it says it may.
  it.each([
    ['a value whose base64 is JSON-escaped', (id: string) => `secret: "${escaped(id)}"\n`, true, true],
    ['a value whose base64 is entity-encoded', (id: string) => `auth=${entity(id)}\n`, true, true],
    [
      'a value that decodes to escaped text',
      (id: string) => `token: ${b64(`\\u0041${id.slice(1)}`)}\n`,
      true,
      true,
    ],
    [
      'the same after thousands of model lines',
      (id: string) => `${model.repeat(2000)}token: ${b64(`\\u0041${id.slice(1)}`)}\n`,
      true,
      true,
    ],
    [
      'UTF-16 text',
      (id: string) => Buffer.from(`token: ${escaped(id)}\r\n`, 'utf16le').toString('latin1'),
      true,
      true,
    ],
    [
      'a line longer than the analysis holds at once',
      () => `${'a:b '.repeat(LineAnalyzer.MAX_LINE / 2)}\n`,
      false,
      true,
    ],
    ['API models naming secrets and sessions', () => model.repeat(2000), false, false],
    ['a base64 value of binary', () => `secret: ${randomBytes(60).toString('base64')}\n`, false, false],
    ['a value too short to decode to a key id', () => `token: ${b64('a'.repeat(19))}\n`, false, false],
  ])('%s', (_, make, found, may) => {
    const id = makeKeyId();
    const text = make(id);
    expect(mayHoldKeyId(text)).toBe(false);
    expect(analyseKeyIds(text)).toEqual(found ? [id] : []);
    expect(mayHoldDecodedKeyId(text)).toBe(may);
  });
});

function analyseKeyIds(text: string): string[] {
  const a = new LineAnalyzer(true);
  a.push(text);
  return a.end().keyIds.map((k) => k.keyId);
}

describe('secret labels are found where a search of the whole text finds them', () => {
  /** Every label start in text[from, to) with its length, by a global search resuming one past each start. */
  const searched = (text: string, from: number, to: number) => {
    const re = new RegExp(AWS_SECRET_LABEL.source, 'g');
    const sub = text.slice(from, to);
    const out: [number, number][] = [];
    for (let m = re.exec(sub); m; m = re.exec(sub)) {
      out.push([from + m.index, m[0].length]);
      re.lastIndex = m.index + 1;
    }
    return out;
  };
  const visited = (text: string, from: number, to: number) => {
    const out: [number, number][] = [];
    visitSecretLabels(text, from, to, (at, length) => void out.push([at, length]));
    return out;
  };
  it.each([
    [
      'every spelling',
      'aws_secret_access_key AWS_SECRET_ACCESS_KEY SecretAccessKey secret-access-key awsSecret AWS.SECRET Aws Secret',
    ],
    ['labels inside labels', 'AWS_SECRET_ACCESS_KEY=1 awssecretaccesskey AwsSecretAccessKey AWSSECRET'],
    ['near misses', 'secret_access_ke secretaccess_key AWS__SECRET ECRET ecret sECRET SeCret_access_key'],
    ['labels back to back', 'SecretAccessKeySecretAccessKeyAWS_SECRETAWSSECRET'],
  ])('%s', (_, text) => {
    for (let from = 0; from < text.length; from += 3)
      for (let to = from; to <= text.length; to += 5)
        expect(visited(text, from, to)).toEqual(searched(text, from, to));
    expect(visited(text, 0, text.length).length).toBeGreaterThan(text.startsWith('secret_access_ke') ? 0 : 1);
  });

  it('stops when told', () => {
    const seen: number[] = [];
    visitSecretLabels('awsSecret awsSecret awsSecret', 0, 29, (at) => seen.push(at) >= 2);
    expect(seen).toEqual([0, 10]);
  });
});
