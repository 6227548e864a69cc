import { describe, expect, it } from 'vitest';
import { byFile, fromEntries, fromUpload, ignored, lineOffset, pathProblem, relativize, scaffold, uploadBody } from './modulefiles';

const enc = (s: string) => new TextEncoder().encode(s);

describe('module files', () => {
  it('drops the one top folder of a folder upload and names it', () => {
    expect(relativize(['fair-ai/module.md', 'fair-ai/lessons/01-a.md'])).toEqual({ paths: ['module.md', 'lessons/01-a.md'], folder: 'fair-ai' });
    expect(relativize(['module.md', 'lessons/01-a.md']).folder).toBe('');
    expect(relativize(['a/module.md', 'b/x.md']).folder).toBe('');
  });

  it('ignores hidden files, OS clutter and folders', () => {
    expect(ignored('fair-ai/.DS_Store')).toBe(true);
    expect(ignored('__MACOSX/fair-ai/module.md')).toBe(true);
    expect(ignored('fair-ai/lessons/')).toBe(true);
    expect(ignored('fair-ai/lessons/01-a.md')).toBe(false);
  });

  it('reads text as UTF-8 and images as base64 for the upload body', () => {
    const { files, folder } = fromEntries([
      { path: 'm/quiz.md', bytes: enc('## Q') },
      { path: 'm/module.md', bytes: enc('---\ntitle: Café\n---') },
      { path: 'm/assets/p.png', bytes: new Uint8Array([137, 80, 78, 71]) },
      { path: 'm/.git/config', bytes: enc('x') },
    ]);
    expect(folder).toBe('m');
    expect(files.map((f) => f.path)).toEqual(['module.md', 'quiz.md', 'assets/p.png']);
    expect(uploadBody('m', files)).toEqual({
      slug: 'm',
      files: { 'module.md': '---\ntitle: Café\n---', 'quiz.md': '## Q', 'assets/p.png': 'base64:iVBORw==' },
    });
  });

  it('checks new and renamed paths', () => {
    const files = scaffold();
    expect(pathProblem('lessons/02-more.md', files)).toBe('');
    expect(pathProblem('', files)).toMatch(/Enter/);
    expect(pathProblem('../x.md', files)).toMatch(/inside/);
    expect(pathProblem('notes.txt', files)).toMatch(/Markdown/);
    expect(pathProblem('quiz.md', files)).toMatch(/already/);
    expect(pathProblem('quiz.md', files, 'quiz.md')).toBe('');
  });

  it('groups problems by file and finds a line', () => {
    const g = byFile([
      { file: 'quiz.md', line: 3, message: 'a' },
      { file: 'module.md', line: 1, message: 'b' },
      { file: 'quiz.md', line: 9, message: 'c' },
    ]);
    expect([...g.keys()]).toEqual(['quiz.md', 'module.md']);
    expect(g.get('quiz.md')!.length).toBe(2);
    expect(lineOffset('a\nbb\nccc', 3)).toBe(5);
    expect(lineOffset('a', 7)).toBe(1);
  });

  it('reads the files the API sends back, and sends them again unchanged', () => {
    const sent = { 'quiz.md': '## Q', 'module.md': '---', 'assets/p.png': 'base64:iVBORw==' };
    const files = fromUpload(sent);
    expect(files.map((f) => f.path)).toEqual(['module.md', 'quiz.md', 'assets/p.png']);
    expect(files[2].base64).toBe('iVBORw==');
    expect(uploadBody('m', files).files).toEqual(sent);
  });
});
