import type { ComponentChildren } from 'preact';
import { ApiError, describe } from '../api';
import { etaText, percentOf, progressUnit, type JobState, type JobStatus } from '../jobs/model';
import { askForApiKey } from './ApiKeyDialog';

export function StateBadge({ state }: { state: JobState }) {
  return <span class={`badge state-${state.toLowerCase()}`}>{state}</span>;
}

/** A labelled progress bar: the bar for the eye, the numbers as text for everyone. */
export function ProgressBar({ job, label }: { job: Pick<JobStatus, 'state' | 'progress'> & Partial<Pick<JobStatus, 'type'>>; label: string }) {
  const percent = percentOf(job);
  const p = job.progress;
  const unit = progressUnit(job.type);
  const text = p && p.total_steps > 0 ? `${percent.toFixed(0)}% (${unit} ${p.step} of ${p.total_steps})` : `${percent.toFixed(0)}%`;
  return (
    <div class="progress">
      <div
        class="bar"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(percent)}
        aria-valuetext={text}
      >
        <div class={`fill state-${job.state.toLowerCase()}`} style={{ width: `${percent}%` }} />
      </div>
      <span class="progress-text">{text}</span>
    </div>
  );
}

export function Eta({ job }: { job: Pick<JobStatus, 'state' | 'progress'> }) {
  const text = etaText(job);
  return text ? <span class="eta">{text === 'estimating…' ? text : `${text} left`}</span> : null;
}

/** An error the user should read: announced at once, with a way to set the key when that was the cause. */
export function ErrorBox({ error, children }: { error: unknown; children?: ComponentChildren }) {
  if (!error) return null;
  const unauthorized = error instanceof ApiError && error.status === 401;
  const fields = error instanceof ApiError ? error.fields : [];
  return (
    <div class="error" role="alert">
      <p>{describe(error)}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      {unauthorized && (
        <button type="button" onClick={askForApiKey}>
          Set API key
        </button>
      )}
      {children}
    </div>
  );
}
