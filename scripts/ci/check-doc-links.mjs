#!/usr/bin/env node
// Checks the relative links of every markdown file in the repository: `[text](path)`, `[text](path#anchor)`,
// `![alt](path)`, `[text](#anchor)` and reference definitions `[id]: path`. A target file must exist; an anchor into
// a markdown file (or into the same file) must name one of its headings, slugged as GitHub does. External links
// (http:, https:, mailto:, any other scheme) are not checked. Exits 1 listing `file:line → target` for each broken one.
//
// The files are git's, tracked or new but not ignored (`git ls-files --cached --others --exclude-standard`), so a doc
// is checked before it is committed and nothing under node_modules, dist or .local is read.
//   node scripts/ci/check-doc-links.mjs        (part of npm run lint)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function markdownFiles() {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '*.md'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const files = out.split('\0').filter((file) => file && !file.split('/').includes('node_modules'));
  // A tracked file deleted in the working tree is not a doc any more.
  return [...new Set(files)].filter((file) => existsSync(join(ROOT, file))).sort();
}

/** The lines of a markdown file with fenced code blocks blanked, so nothing inside them counts. */
function proseLines(text) {
  let fence;
  return text.split(/\r?\n/).map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === undefined) {
      if (marker) {
        fence = marker[1];
        return '';
      }
      return line;
    }
    if (marker && marker[1][0] === fence[0] && marker[1].length >= fence.length && line.trim() === marker[1]) {
      fence = undefined;
    }
    return '';
  });
}

/** Inline code spans hold examples, not links: `userId[$ne]=x`, `[--user alice]`. */
function withoutCodeSpans(line) {
  return line.replace(/(`+)[\s\S]*?\1/g, (span) => ' '.repeat(span.length));
}

/** GitHub's heading ids: lowercase, punctuation and symbols dropped (not `-` or `_`), each space a `-`. */
function slug(heading) {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The text GitHub renders for a heading: links as their text, code and emphasis marks and HTML tags gone. */
function headingText(raw) {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '')
    .trim();
}

const anchorCache = new Map();

/** Every anchor a markdown file offers: its headings' slugs (repeats get -1, -2, …) and explicit ids. */
function anchorsOf(file) {
  if (anchorCache.has(file)) return anchorCache.get(file);
  const anchors = new Set();
  const seen = new Map();
  const add = (text) => {
    const base = slug(headingText(text));
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  };
  const lines = proseLines(readFileSync(file, 'utf8'));
  lines.forEach((line, i) => {
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (atx) add(atx[1] ?? '');
    else if (/^ {0,3}(=+|-+)[ \t]*$/.test(line) && i > 0) {
      const previous = lines[i - 1];
      if (previous.trim() && !/^ {0,3}([|#>*+-]|\d+\.)/.test(previous)) add(previous.trim());
    }
    for (const match of line.matchAll(/<a\s[^>]*\b(?:name|id)=["']([^"']+)["']/gi)) anchors.add(match[1]);
  });
  anchorCache.set(file, anchors);
  return anchors;
}

/** Inline links and images `[text](target "title")`, and reference definitions `[id]: target`. */
function linksIn(line) {
  const targets = [];
  for (const match of line.matchAll(
    /\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g,
  )) {
    targets.push(match[1]);
  }
  const definition = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(line);
  if (definition) targets.push(definition[1]);
  return targets.map((target) => target.replace(/^<(.*)>$/, '$1')).filter(Boolean);
}

function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Why a link from `file` to `target` is broken, or undefined when it is fine (or not ours to check). */
function problemWith(file, target) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined; // external
  const hash = target.indexOf('#');
  const pathPart = decode((hash === -1 ? target : target.slice(0, hash)).replace(/\?.*$/, ''));
  const anchor = hash === -1 ? undefined : decode(target.slice(hash + 1));
  const dest =
    pathPart === '' ? file : pathPart.startsWith('/') ? join(ROOT, pathPart) : resolve(dirname(file), pathPart);
  if (!existsSync(dest)) return 'no such file';
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(dest).isDirectory() || extname(dest).toLowerCase() !== '.md') return undefined;
  if (/^L\d+(-L\d+)?$/.test(anchor)) return undefined; // a line reference
  return anchorsOf(dest).has(anchor.toLowerCase()) ? undefined : `no heading #${anchor} in ${relative(ROOT, dest)}`;
}

const broken = [];
let links = 0;
const files = markdownFiles();
for (const name of files) {
  const file = join(ROOT, name);
  proseLines(readFileSync(file, 'utf8')).forEach((line, i) => {
    for (const target of linksIn(withoutCodeSpans(line))) {
      links++;
      const problem = problemWith(file, target);
      if (problem) broken.push(`${name}:${i + 1} → ${target} (${problem})`);
    }
  });
}

if (broken.length > 0) {
  console.error(`check-doc-links: ${broken.length} broken link(s) in ${files.length} markdown files:`);
  for (const line of broken) console.error(`  ${line}`);
  process.exit(1);
}
console.log(`check-doc-links: ${links} links in ${files.length} markdown files, all resolve`);
