import { describe, expect, it } from 'vitest';
import {
  mdCode,
  mdFence,
  mdLink,
  mdText,
  mdUrl,
  shellQuote,
  terminal,
  workflowLine,
} from '../../src/core/render/escape.js';
import { stripUrlCredentials } from '../../src/core/redact.js';

describe('markdown text', () => {
  it.each([
    ['a mention', '@octocat', '@\u200boctocat'],
    ['an issue reference', 'fixes #1', 'fixes #\u200b1'],
    ['a link', '[x](https://evil.example)', '\\[x\\](https:\u200b//evil.example)'],
    ['a bare domain', 'see www.evil.example', 'see www\u200b.evil.example'],
    ['an image', '![x](y)', '!\\[x\\](y)'],
    ['HTML', '<img src=x>', '&lt;img src=x&gt;'],
    ['a newline that would start a heading', 'a\n# b', 'a\\\\n#\u200b b'],
    ['a table pipe', 'a|b', 'a\\|b'],
  ])('neutralises %s', (_name, input, expected) => {
    expect(mdText(input)).toBe(expected);
  });
});

describe('code spans', () => {
  it.each([
    ['plain', 'a.txt', '`a.txt`'],
    ['one backtick', 'a`b', '``a`b``'],
    ['a leading backtick', '`a', '`` `a ``'],
    ['a run of three', 'x```y', '````x```y````'],
    ['a pipe', 'a|b', '`a\\|b`'],
    ['a newline', 'a\nb', '`a\\nb`'],
  ])('sizes the delimiters from the content: %s', (_name, input, expected) => {
    expect(mdCode(input)).toBe(expected);
  });

  it('fences a body with a longer fence than any run inside it', () => {
    expect(mdFence('a\n```\nb', 'sh')).toEqual(['````sh', 'a', '```', 'b', '````']);
  });
});

describe('link destinations', () => {
  it.each([
    ['drops credentials', 'https://u:p@github.com/o/r', 'https://github.com/o/r'],
    ['refuses other schemes', 'javascript:alert(1)', '#'],
    ['encodes parentheses', 'https://github.com/o/r/blob/c/a)b', 'https://github.com/o/r/blob/c/a%29b'],
  ])('%s', (_name, input, expected) => {
    expect(mdUrl(input)).toBe(expected);
  });

  it('keeps the text of a link plain', () => {
    expect(mdLink('![i](x)', 'https://x.test/')).toBe('[!\\[i\\](x)](https://x.test/)');
  });
});

describe('workflow log lines', () => {
  it.each([
    ['a command', '::warning::pwned', '\u200b::warning::pwned'],
    ['a command after blanks', '  ::stop-commands::x', '\u200b  ::stop-commands::x'],
    ['a command after a newline', "fatal: 'a\n::error::x'", "fatal: 'a\\n::error::x'"],
    ['a legacy command', 'x ##[error]y', 'x ##\u200b[error]y'],
  ])('breaks %s', (_name, input, expected) => {
    expect(workflowLine(input)).toBe(expected);
  });
});

describe('terminals', () => {
  it('shows escape sequences and controls instead of sending them', () => {
    expect(terminal('a\x1b[2K\rb\x07\u202e')).toBe('a\\x1b[2K\\x0db\\x07\\u202e');
  });
});

describe('shell', () => {
  it.each([
    ['plain', "it's", "'it'\\''s'"],
    ['a newline', 'a\n```\nrm -rf ~', "$'a\\n```\\nrm -rf ~'"],
    ['an escape', 'a\x1bb', "$'a\\x1bb'"],
    ['a right-to-left override', 'a\u202eb', "$'a\\xe2\\x80\\xaeb'"],
  ])('quotes %s on one line', (_name, input, expected) => {
    expect(shellQuote(input)).toBe(expected);
  });
});

describe('URL credentials', () => {
  it.each([
    ['a token', 'https://x-access-token:ghs_abc@github.com/o/r.git', 'https://github.com/o/r.git'],
    ['a user', 'ssh://git@github.com/o/r', 'ssh://github.com/o/r'],
    [
      'in a sentence',
      "fatal: unable to access 'https://u:p@h.test/r/': 403",
      "fatal: unable to access 'https://h.test/r/': 403",
    ],
    ['nothing to strip', 'git@github.com:o/r.git', 'git@github.com:o/r.git'],
  ])('strips %s', (_name, input, expected) => {
    expect(stripUrlCredentials(input)).toBe(expected);
  });
});
