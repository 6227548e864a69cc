// Problem details (RFC 9457) from the API, as one error type the pages
// show: a summary, field errors beside their fields, and a retry for
// failures that are not the person's doing.

export interface FieldError {
  field: string;
  message: string;
}

export interface LineError {
  line: number;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly fields: FieldError[];
  readonly lines: LineError[];
  readonly requestId: string;
  /** The problem's other members, e.g. known_departments, problem_count. */
  readonly extra: Record<string, unknown>;

  constructor(
    status: number,
    title: string,
    detail: string,
    opts: { fields?: FieldError[]; lines?: LineError[]; requestId?: string; extra?: Record<string, unknown> } = {},
  ) {
    super(detail || title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.fields = opts.fields ?? [];
    this.lines = opts.lines ?? [];
    this.requestId = opts.requestId ?? '';
    this.extra = opts.extra ?? {};
  }

  /** A network failure or a server error: worth a "Try again" button. */
  get retryable(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }

  /** The message for one field, if the API named it. */
  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.message;
  }
}

export function networkError(cause: unknown): ApiError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new ApiError(0, 'No connection', `The server could not be reached (${why}). Check your connection and try again.`);
}

/** Reads a failed response into an ApiError, whatever its body holds. */
export async function toApiError(res: Response): Promise<ApiError> {
  const requestId = res.headers.get('X-Request-ID') ?? '';
  const type = res.headers.get('Content-Type') ?? '';
  if (type.includes('json')) {
    try {
      const p = (await res.json()) as Record<string, unknown>;
      const errors = Array.isArray(p.errors) ? (p.errors as Record<string, unknown>[]) : [];
      const fields = errors
        .filter((e) => typeof e.field === 'string')
        .map((e) => ({ field: e.field as string, message: String(e.message ?? '') }));
      const lines = errors
        .filter((e) => typeof e.line === 'number')
        .map((e) => ({ line: e.line as number, message: String(e.message ?? '') }));
      return new ApiError(res.status, String(p.title ?? res.statusText), String(p.detail ?? ''), {
        fields,
        lines,
        requestId: String(p.request_id ?? requestId),
        extra: p,
      });
    } catch {
      // fall through to the generic error
    }
  }
  const detail = res.status >= 500 ? 'The server had a problem. Try again in a moment.' : `The server answered ${res.status}.`;
  return new ApiError(res.status, res.statusText || 'Error', detail, { requestId });
}
