import { describe, expect, it } from 'vitest';
import { href, match } from './router';

describe('router', () => {
  it('matches routes and decodes parameters', () => {
    expect(match('/')).toMatchObject({ name: 'home' });
    expect(match('/modules/ai%20basics')).toMatchObject({ name: 'module', params: { slug: 'ai basics' } });
    expect(match('/modules/m/lessons/01-intro')).toMatchObject({ name: 'lesson', params: { slug: 'm', lesson: '01-intro' } });
    expect(match('/modules/m/quiz')).toMatchObject({ name: 'quiz', params: { slug: 'm' } });
    expect(match('/verify/abc', '?x=1').query.get('x')).toBe('1');
    expect(match('/nope/x').name).toBe('notfound');
    expect(match('/modules/%E0%A4%A').name).toBe('notfound');
  });

  it('encodes dynamic parts of links', () => {
    expect(href`/modules/${'a/b'}/lessons/${'c d'}`).toBe('/modules/a%2Fb/lessons/c%20d');
  });
});
