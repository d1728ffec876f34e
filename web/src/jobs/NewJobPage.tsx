import { cloneElement, type VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, postJson } from '../api';
import { ErrorBox } from '../ui/common';
import { jobHref } from '../ui/route';
import { BATCH_INFERENCE_PARAMS, buildRequest, keyFieldsFor, otherParamsFor, STAGES, type KeyFields } from './defaults';
import { JOB_TYPES, type Artifact, type JobStatus, type JobType } from './model';

const TYPE_TEXT: Record<JobType, string> = {
  pt: 'pt — continued pretraining',
  sft: 'sft — supervised fine-tuning',
  dpo: 'dpo — preference optimisation',
  merge: 'merge — fold an adapter into its base',
  pipeline: 'pipeline — pt → merge → sft → merge → dpo → merge',
  'batch-inference': 'batch-inference — answer a file of queries',
};

/** Starts a stage, a pipeline or a batch-inference job, with the seed's defaults filled in. */
export function NewJobPage({ type: initialType }: { type: string }) {
  const [type, setType] = useState<JobType>((JOB_TYPES as string[]).includes(initialType) ? (initialType as JobType) : 'sft');
  const [fields, setFields] = useState<KeyFields>(() => keyFieldsFor(type));
  const [json, setJson] = useState(() => JSON.stringify(otherParamsFor(type), null, 2));
  const [jsonError, setJsonError] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [artifacts, setArtifacts] = useState<Artifact[]>([]);

  useEffect(() => {
    const controller = new AbortController();
    getJson<{ items: Artifact[] }>('v1/artifacts', controller.signal)
      .then((r) => setArtifacts(r.items))
      .catch(() => undefined); // suggestions only; the fields take any path
    return () => controller.abort();
  }, []);

  function chooseType(next: JobType) {
    setType(next);
    setFields(keyFieldsFor(next));
    setJson(JSON.stringify(otherParamsFor(next), null, 2));
    setJsonError('');
    setError(null);
  }

  function field<K extends keyof KeyFields>(name: K, value: KeyFields[K]) {
    setFields({ ...fields, [name]: value });
  }

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    let other: Record<string, unknown>;
    try {
      const parsed = JSON.parse(json || '{}') as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('must be a JSON object');
      other = parsed as Record<string, unknown>;
      setJsonError('');
    } catch (err) {
      setJsonError(`Other parameters: ${err instanceof Error ? err.message : String(err)}`);
      document.getElementById('params-json')?.focus();
      return;
    }
    setBusy(true);
    try {
      const job = await postJson<JobStatus>('v1/jobs', buildRequest(type, fields, other));
      location.hash = jobHref(job.id);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const fieldErrors = error instanceof ApiError ? error.fields : [];
  const fieldError = (names: readonly string[]) => fieldErrors.find((f) => names.some((n) => f.field === n || f.field.endsWith(`.${n}`)));
  const errorFor = (...names: string[]) => fieldError(names)?.message;
  /** The JSON editor holds several parameters: its message names the one refused (and how many more). */
  const jsonErrorFor = (names: readonly string[]) => {
    const refused = fieldErrors.filter((f) => names.some((n) => f.field === n || f.field.endsWith(`.${n}`)));
    if (refused.length === 0) return undefined;
    const first = `${refused[0].field.replace(/^params\./, '')}: ${refused[0].message}`;
    return refused.length === 1 ? first : `${first} (and ${refused.length - 1} more, listed below)`;
  };
  const models = artifacts.filter((a) => a.kind === 'model').map((a) => a.path);
  const adapters = artifacts.filter((a) => a.kind === 'adapter').map((a) => a.path);
  const training = type === 'pt' || type === 'sft' || type === 'dpo';
  const inference = type === 'batch-inference';

  return (
    <section aria-labelledby="new-title">
      <p class="crumbs"><a href="#/jobs">Jobs</a></p>
      <h1 id="new-title" tabIndex={-1}>Start a job</h1>
      <form class="new-job" onSubmit={submit} noValidate>
        <fieldset>
          <legend>Type</legend>
          <div class="radios">
            {JOB_TYPES.map((t) => (
              <label key={t} class="check">
                <input type="radio" name="type" value={t} checked={type === t} onChange={() => chooseType(t)} />
                {TYPE_TEXT[t]}
              </label>
            ))}
          </div>
        </fieldset>

        <datalist id="models-list">{models.map((m) => <option key={m} value={m} />)}</datalist>
        <datalist id="adapters-list">{adapters.map((m) => <option key={m} value={m} />)}</datalist>

        {(training || type === 'pipeline') && (
          <Field id="model" label="Base model (model_name_or_path)" error={errorFor('model_name_or_path')}>
            <input id="model" list="models-list" value={fields.model} onInput={(e) => field('model', e.currentTarget.value)} />
          </Field>
        )}
        {training && (
          <Field id="data" label="Training data (train_file_dir)" error={errorFor('train_file_dir')}>
            <input id="data" value={fields.data[type]} onInput={(e) => field('data', { ...fields.data, [type]: e.currentTarget.value })} />
          </Field>
        )}
        {type === 'pipeline' &&
          STAGES.map((s) => (
            <Field key={s} id={`data-${s}`} label={`${s} data (${s}.train_file_dir)`} error={errorFor(`${s}.train_file_dir`)}>
              <input id={`data-${s}`} value={fields.data[s]} onInput={(e) => field('data', { ...fields.data, [s]: e.currentTarget.value })} />
            </Field>
          ))}
        {(type === 'merge' || inference) && (
          <>
            <Field id="base-model" label="Base model (base_model)" error={errorFor('base_model')}>
              <input id="base-model" list="models-list" value={fields.baseModel} onInput={(e) => field('baseModel', e.currentTarget.value)} />
            </Field>
            <Field id="adapter" label={inference ? 'Adapter (lora_model, blank: the base model alone)' : 'Adapter (lora_model)'} error={errorFor('lora_model')}>
              <input id="adapter" list="adapters-list" value={fields.adapter} onInput={(e) => field('adapter', e.currentTarget.value)} />
            </Field>
          </>
        )}
        {inference && (
          <>
            <Field
              id="data-file"
              label={'Queries (data_file: a .jsonl file, one {"query"} or {"messages"} a line)'}
              error={errorFor('data_file')}
            >
              <input id="data-file" value={fields.dataFile} placeholder="data/queries.jsonl" onInput={(e) => field('dataFile', e.currentTarget.value)} />
            </Field>
            <Field id="output-file" label="Answers (output_file, blank: predictions/<job-id>.jsonl)" error={errorFor('output_file')}>
              <input id="output-file" value={fields.outputFile} placeholder="predictions/….jsonl" onInput={(e) => field('outputFile', e.currentTarget.value)} />
            </Field>
          </>
        )}
        {(training || type === 'pipeline') && (
          <Field
            id="max-steps"
            label={type === 'pipeline' ? 'Max steps for every stage (blank: each stage’s own)' : 'Max steps (blank: epochs decide)'}
            error={errorFor('max_steps')}
          >
            <input id="max-steps" inputMode="numeric" value={fields.maxSteps} onInput={(e) => field('maxSteps', e.currentTarget.value)} />
          </Field>
        )}
        {!inference && (
          <Field id="output-dir" label="Output (output_dir, blank: by the storage layout)" error={errorFor('output_dir')}>
            <input id="output-dir" value={fields.outputDir} placeholder={type === 'merge' || type === 'pipeline' ? 'models/…' : 'adapters/…'} onInput={(e) => field('outputDir', e.currentTarget.value)} />
          </Field>
        )}

        <Field
          id="params-json"
          label={inference ? 'Sampling and other parameters (JSON; a key left out keeps the model’s generation_config.json)' : 'Other parameters (JSON; the seed’s defaults)'}
          error={jsonError || (inference ? jsonErrorFor(BATCH_INFERENCE_PARAMS) : undefined)}
          hint={inference ? `Keys: ${BATCH_INFERENCE_PARAMS.join(', ')}.` : undefined}
        >
          <textarea id="params-json" rows={inference ? 6 : 14} spellcheck={false} value={json} onInput={(e) => setJson(e.currentTarget.value)} />
        </Field>

        <ErrorBox error={error} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>{busy ? 'Starting…' : 'Start job'}</button>
          <button type="button" onClick={() => chooseType(type)}>Reset to the seed’s defaults</button>
        </div>
      </form>
    </section>
  );
}

/** A labelled input; when the server or the JSON check names it, the message is tied to it. */
function Field({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: string; children: VNode }) {
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [hint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      {cloneElement(children, { ...(error ? { 'aria-invalid': 'true' } : {}), ...(describedBy ? { 'aria-describedby': describedBy } : {}) })}
      {hint && <p id={hintId} class="hint">{hint}</p>}
      {error && <p id={errorId} class="field-error" role="alert">{error}</p>}
    </div>
  );
}
