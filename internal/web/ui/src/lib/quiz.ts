// Quiz answers as plain data: which choices the person picked per
// question, single-choice questions holding at most one.

export interface Choice {
  id: string;
  text_html: string;
}

export interface Question {
  id: string;
  kind: 'single' | 'multiple';
  prompt_html: string;
  choices: Choice[];
}

export interface Attempt {
  id: string;
  module: string;
  revision: number;
  questions: Question[];
  started_at: string;
}

export interface QuestionResult {
  question_id: string;
  correct: boolean;
  explanation_html: string;
}

export interface AttemptResult {
  id: string;
  score: number;
  passed: boolean;
  pass_mark: number;
  results: QuestionResult[];
  completion: { id: string } | null;
}

export type Answers = Record<string, string[]>;

/** The answers after the person (un)ticks choice on q; never mutates answers. */
export function choose(answers: Answers, q: Question, choice: string, checked = true): Answers {
  if (!q.choices.some((c) => c.id === choice)) return answers;
  const current = answers[q.id] ?? [];
  let next: string[];
  if (q.kind === 'single') next = checked ? [choice] : current.filter((c) => c !== choice);
  else if (checked) next = current.includes(choice) ? current : [...current, choice];
  else next = current.filter((c) => c !== choice);
  return { ...answers, [q.id]: next };
}

export function isChosen(answers: Answers, q: Question, choice: string): boolean {
  return (answers[q.id] ?? []).includes(choice);
}

/** 1-based numbers of the questions with no choice picked, for the confirmation. */
export function unanswered(answers: Answers, questions: Question[]): number[] {
  return questions.flatMap((q, i) => ((answers[q.id] ?? []).length === 0 ? [i + 1] : []));
}

/** The submit body: every question present, choices in the order shown. */
export function submission(answers: Answers, questions: Question[]): { answers: Answers } {
  const out: Answers = {};
  for (const q of questions) {
    const picked = answers[q.id] ?? [];
    out[q.id] = q.choices.filter((c) => picked.includes(c.id)).map((c) => c.id);
  }
  return { answers: out };
}

/** The result for each question, by id. */
export function resultsById(r: AttemptResult): Map<string, QuestionResult> {
  return new Map(r.results.map((x) => [x.question_id, x]));
}
