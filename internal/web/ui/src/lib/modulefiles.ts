// A module's files as the trainer's editor holds them, and the body the
// content routes take: {"slug","files":{"module.md":"…"}} with images sent
// as "base64:…". Reading a folder or a ZIP ends here, so the rules (which
// files count, how a top folder is dropped) are tested without a browser.

export interface ModuleFile {
  path: string;
  /** Markdown or other text; empty for a binary file. */
  text: string;
  /** base64 of a binary file (an image), or null for text. */
  base64: string | null;
  size: number;
}

export interface Problem {
  file: string;
  line: number;
  message: string;
}

const binaryExt = /\.(png|jpe?g|gif|webp)$/i;

/** Whether a path names an image, sent as base64. */
export function isBinary(path: string): boolean {
  return binaryExt.test(path);
}

/** Files a module never holds: OS clutter, hidden files, folders. */
export function ignored(path: string): boolean {
  return path === '' || path.endsWith('/') || path.split('/').some((p) => p.startsWith('.') || p === '__MACOSX');
}

/**
 * The paths relative to the module folder: when every file sits in one top
 * folder (a folder upload, or a ZIP of the folder) and module.md is not at
 * the top, that folder is dropped and its name is the likely slug.
 */
export function relativize(paths: string[]): { paths: string[]; folder: string } {
  const clean = paths.map((p) => p.replace(/\\/g, '/').replace(/^\/+/, ''));
  if (clean.includes('module.md') || clean.length === 0) return { paths: clean, folder: '' };
  const tops = new Set(clean.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '')));
  if (tops.size !== 1 || tops.has('')) return { paths: clean, folder: '' };
  const [folder] = [...tops];
  return { paths: clean.map((p) => p.slice(folder.length + 1)), folder };
}

/** Bytes as base64, in chunks so large images do not overflow the stack. */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Turns raw entries (path, bytes) into editor files, sorted by path. */
export function fromEntries(entries: { path: string; bytes: Uint8Array }[]): { files: ModuleFile[]; folder: string } {
  const kept = entries.filter((e) => !ignored(e.path.replace(/\\/g, '/')));
  const { paths, folder } = relativize(kept.map((e) => e.path));
  const dec = new TextDecoder();
  const files = kept.map((e, i) => {
    const path = paths[i];
    return isBinary(path)
      ? { path, text: '', base64: toBase64(e.bytes), size: e.bytes.length }
      : { path, text: dec.decode(e.bytes), base64: null, size: e.bytes.length };
  });
  return { files: sortFiles(files), folder };
}

/** module.md first, then lessons, the quiz and the rest, each by path. */
export function sortFiles(files: ModuleFile[]): ModuleFile[] {
  const rank = (p: string) => (p === 'module.md' ? 0 : p.startsWith('lessons/') ? 1 : p === 'quiz.md' ? 2 : 3);
  return [...files].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
}

/** The body of validate, preview and publish. */
export function uploadBody(slug: string, files: ModuleFile[]): { slug: string; files: Record<string, string> } {
  const out: Record<string, string> = {};
  for (const f of files) out[f.path] = f.base64 === null ? f.text : `base64:${f.base64}`;
  return { slug, files: out };
}

/** Why a new or renamed path cannot be used, or "" when it can. */
export function pathProblem(path: string, files: ModuleFile[], except = ''): string {
  const p = path.trim();
  if (!p) return 'Enter a file name, such as lessons/02-practice.md.';
  if (p.startsWith('/') || p.split('/').some((s) => s === '..' || s === '.' || s === '')) return 'Use a path inside the module folder, such as lessons/02-practice.md.';
  if (!/\.(md|png|jpe?g|gif|webp)$/i.test(p)) return 'A module holds Markdown files (.md) and images (png, jpg, gif, webp).';
  if (p !== except && files.some((f) => f.path === p)) return `There is already a file called ${p}.`;
  return '';
}

/** A new module's files: a valid starting point with the format's parts. */
export function scaffold(title = 'New module'): ModuleFile[] {
  const text = (t: string) => ({ text: t, base64: null, size: t.length });
  return [
    { path: 'module.md', ...text(`---\ntitle: ${title}\nsummary: One or two sentences on what learners will be able to do.\ntopics: [benefits]\nlevel: beginner\n---\n\nWhat this module covers and who it is for.\n`) },
    { path: 'lessons/01-introduction.md', ...text('# Introduction\n\nThe first lesson.\n') },
    {
      path: 'quiz.md',
      ...text('## What is this module about?\n\n- [x] The right answer\n- [ ] A wrong answer\n\n> Why the right answer is right.\n'),
    },
  ];
}

/** Problems grouped by file, in file order, for the list beside the editor. */
export function byFile(problems: Problem[]): Map<string, Problem[]> {
  const out = new Map<string, Problem[]>();
  for (const p of problems) {
    const list = out.get(p.file) ?? [];
    list.push(p);
    out.set(p.file, list);
  }
  return out;
}

/** The character offset where a 1-based line starts in text. */
export function lineOffset(text: string, line: number): number {
  let at = 0;
  for (let i = 1; i < line; i++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  return at;
}

/** Files as the API sends them (GET /modules/{slug}/files) for the editor. */
export function fromUpload(files: Record<string, string>): ModuleFile[] {
  return sortFiles(
    Object.entries(files).map(([path, v]) =>
      v.startsWith('base64:')
        ? { path, text: '', base64: v.slice(7), size: Math.floor(((v.length - 7) * 3) / 4) }
        : { path, text: v, base64: null, size: v.length },
    ),
  );
}
