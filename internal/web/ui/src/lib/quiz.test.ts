import { describe, expect, it } from 'vitest';
import { choose, isChosen, submission, unanswered, type Question } from './quiz';

const single: Question = { id: 'q1', kind: 'single', prompt_html: 'One?', choices: [{ id: 'a', text_html: 'A' }, { id: 'b', text_html: 'B' }] };
const multi: Question = { id: 'q2', kind: 'multiple', prompt_html: 'Many?', choices: [{ id: 'x', text_html: 'X' }, { id: 'y', text_html: 'Y' }, { id: 'z', text_html: 'Z' }] };

describe('quiz answers', () => {
  it('keeps one choice for a single-choice question', () => {
    let a = choose({}, single, 'a');
    a = choose(a, single, 'b');
    expect(a.q1).toEqual(['b']);
    expect(isChosen(a, single, 'a')).toBe(false);
  });

  it('toggles choices of a multiple-choice question', () => {
    let a = choose({}, multi, 'z');
    a = choose(a, multi, 'x');
    a = choose(a, multi, 'x');
    expect(a.q2).toEqual(['z', 'x']);
    a = choose(a, multi, 'z', false);
    expect(a.q2).toEqual(['x']);
  });

  it('never mutates and ignores unknown choices', () => {
    const before = { q1: ['a'] };
    const after = choose(before, single, 'nope');
    expect(after).toBe(before);
    choose(before, single, 'b');
    expect(before.q1).toEqual(['a']);
  });

  it('lists unanswered questions by number', () => {
    expect(unanswered({}, [single, multi])).toEqual([1, 2]);
    expect(unanswered(choose({}, multi, 'y'), [single, multi])).toEqual([1]);
  });

  it('submits every question with choices in the order shown', () => {
    let a = choose({}, multi, 'z');
    a = choose(a, multi, 'x');
    expect(submission(a, [single, multi])).toEqual({ answers: { q1: [], q2: ['x', 'z'] } });
  });
});
