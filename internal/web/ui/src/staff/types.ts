// The API's shapes the trainer and admin pages read (see api/openapi.yaml).

import type { ModuleSummary } from '../lib/types';
import type { Problem } from '../lib/modulefiles';

export interface AuthorModule extends ModuleSummary {
  archived: boolean;
}

export interface FeedbackSummary {
  count: number;
  average_rating: number | null;
  distribution: Record<'1' | '2' | '3' | '4' | '5', number>;
  comments: { rating: number; comment: string; created_at: string }[];
  next_cursor: string;
}

export interface Validation {
  valid: boolean;
  problems: Problem[];
  warnings: Problem[];
}

export interface Preview extends Validation {
  module: { title: string; summary: string; topics: string[]; minutes: number };
  lessons: { slug: string; title: string; html: string; minutes: number }[];
  quiz: {
    questions: { prompt_html: string; kind: 'single' | 'multiple'; choices: { text_html: string; correct: boolean }[]; explanation_html: string }[];
  } | null;
}

export interface Published {
  slug: string;
  revision: number;
  content_hash: string;
  created: boolean;
  warnings: Problem[];
}

export interface AuditEntry {
  id: number;
  at: string;
  actor_id: string | null;
  action: string;
  target: string;
  details: Record<string, unknown>;
  request_id: string;
  client_ip: string;
}

export interface Delivery {
  id: number;
  target: string;
  kind: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string;
  created_at: string;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  delivered_at: string | null;
}

export const allRoles = ['learner', 'trainer', 'hr', 'admin'] as const;
