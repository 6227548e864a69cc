// The API's shapes the learner pages read (see api/openapi.yaml).

import type { User } from './session';
export type { User };

export interface ModuleSummary {
  slug: string;
  title: string;
  summary: string;
  topics: string[];
  level: string;
  minutes: number;
  revision: number;
  lesson_count: number;
  has_quiz: boolean;
}

export interface LessonRef {
  slug: string;
  title: string;
  minutes: number;
}

export interface ModuleDetail extends ModuleSummary {
  lessons: LessonRef[];
  quiz: { question_count: number; pass_mark: number; max_attempts: number } | null;
  prerequisites: string[];
  valid_for_days: number | null;
}

export interface Lesson {
  slug: string;
  title: string;
  html: string;
  minutes: number;
  previous: string | null;
  next: string | null;
}

export interface LessonProgress {
  slug: string;
  completed: boolean;
  completed_at: string | null;
}

export interface ModuleProgress {
  module: string;
  revision: number;
  status: 'not_started' | 'in_progress' | 'completed' | 'expired';
  lessons_completed: number;
  lesson_count: number;
  percent: number;
  quiz_passed: boolean;
  best_score: number | null;
  attempts_used: number;
  attempts_left: number | null;
  completion: RecordJSON | null;
  lessons?: LessonProgress[];
  next?: { kind: 'lesson' | 'quiz' | 'none'; lesson: string | null };
  locked?: boolean;
  missing_prerequisites?: string[];
  due_at?: string | null;
}

export interface Assignment {
  module: string;
  module_title: string;
  due_at: string | null;
  assigned_at: string;
  status: string;
  overdue: boolean;
}

export interface RecordJSON {
  id: string;
  user_id: string;
  holder_name: string;
  module: string;
  module_title: string;
  revision: number;
  content_hash: string;
  score: number | null;
  issued_at: string;
  expires_at: string | null;
  status: 'valid' | 'expired' | 'revoked';
  credential: string;
}

export interface Verification {
  valid: boolean;
  status: string;
  record: {
    id: string;
    holder_name: string;
    module: string;
    module_title: string;
    revision: number;
    issued_at: string;
    expires_at: string | null;
  } | null;
}
