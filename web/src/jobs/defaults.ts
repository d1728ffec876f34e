import seed from './seed-defaults.json';
import type { JobType } from './model';

/**
 * The seed's defaults for each stage: the options of scripts/train_pt.sh, train_sft.sh and
 * train_dpo.sh (the seed's run_*.sh scaled to the tiny model) and merge_lora.sh. A batch-inference
 * job starts with max_new_tokens at the engine's length when a model sets none (256) and no other
 * sampling key, so the model's generation_config.json decides the rest, as it does for a key the API
 * leaves out. A test in the web module holds seed-defaults.json to those scripts and to the
 * gateway's parameter rules.
 */
export const SEED: Record<'pt' | 'sft' | 'dpo' | 'merge' | 'batch-inference', Record<string, unknown>> = seed;

/** The sampling and other parameters a batch-inference job takes besides its key fields (protocol's Param). */
export const BATCH_INFERENCE_PARAMS = [
  'max_new_tokens',
  'temperature',
  'top_p',
  'top_k',
  'repetition_penalty',
  'seed',
  'stop_str',
  'system_prompt',
  'template_name',
  'eval_batch_size',
] as const;

export const STAGES = ['pt', 'sft', 'dpo'] as const;
export type Stage = (typeof STAGES)[number];

/** The parameters the form shows as fields of their own; the rest are edited as JSON. */
export interface KeyFields {
  model: string;
  data: Record<Stage, string>;
  baseModel: string;
  adapter: string;
  /** batch-inference: the jsonl of queries, and where the answers go (blank: predictions/<job-id>.jsonl). */
  dataFile: string;
  outputFile: string;
  outputDir: string;
  maxSteps: string;
}

export function keyFieldsFor(type: JobType): KeyFields {
  return {
    model: String(type === 'sft' || type === 'dpo' ? SEED[type].model_name_or_path : SEED.pt.model_name_or_path),
    data: { pt: String(SEED.pt.train_file_dir), sft: String(SEED.sft.train_file_dir), dpo: String(SEED.dpo.train_file_dir) },
    baseModel: String(type === 'batch-inference' ? SEED[type].base_model : SEED.merge.base_model),
    adapter: String(type === 'batch-inference' ? SEED[type].lora_model : SEED.merge.lora_model),
    dataFile: String(SEED['batch-inference'].data_file),
    outputFile: '',
    outputDir: '',
    maxSteps: type === 'dpo' ? String(SEED.dpo.max_steps) : '', // a pipeline's stages keep their own
  };
}

const KEY_NAMES = new Set(['model_name_or_path', 'train_file_dir', 'base_model', 'lora_model', 'data_file', 'output_file', 'output_dir', 'max_steps']);
const STAGE_KEY_NAMES = new Set(['model_name_or_path', 'train_file_dir', 'output_dir']);

function without(params: Record<string, unknown>, names: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([k]) => !names.has(k)));
}

/** The other parameters of a type, as the JSON editor starts: a pipeline has one object per stage. */
export function otherParamsFor(type: JobType): Record<string, unknown> {
  switch (type) {
    case 'pt':
    case 'sft':
    case 'dpo':
    case 'merge':
    case 'batch-inference':
      return without(SEED[type], KEY_NAMES);
    case 'pipeline':
      // A stage keeps its own max_steps (DPO's 20); the form's field overrides it for every stage.
      return Object.fromEntries(STAGES.map((s) => [s, without(SEED[s], STAGE_KEY_NAMES)]));
  }
}

/**
 * The request body: the JSON editor's parameters with the key fields on top (a blank field is left
 * out, so the server's default applies). A pipeline's data directories and a stage's max_steps go in
 * the stage objects; its base model and output at the top.
 */
export function buildRequest(type: JobType, fields: KeyFields, other: Record<string, unknown>): { type: JobType; params: Record<string, unknown> } {
  const params: Record<string, unknown> = structuredClone(other);
  const set = (target: Record<string, unknown>, name: string, value: string, asNumber = false) => {
    const v = value.trim();
    if (v === '') {
      delete target[name];
      return;
    }
    target[name] = asNumber && /^-?\d+$/.test(v) ? Number(v) : v;
  };
  switch (type) {
    case 'pt':
    case 'sft':
    case 'dpo':
      set(params, 'model_name_or_path', fields.model);
      set(params, 'train_file_dir', fields.data[type]);
      set(params, 'max_steps', fields.maxSteps, true);
      break;
    case 'merge':
      set(params, 'base_model', fields.baseModel);
      set(params, 'lora_model', fields.adapter);
      break;
    case 'batch-inference':
      // no output_dir: the answers are one file, output_file
      set(params, 'base_model', fields.baseModel);
      set(params, 'lora_model', fields.adapter);
      set(params, 'data_file', fields.dataFile);
      set(params, 'output_file', fields.outputFile);
      return { type, params };
    case 'pipeline':
      set(params, 'model_name_or_path', fields.model);
      for (const stage of STAGES) {
        const object = (params[stage] && typeof params[stage] === 'object' ? params[stage] : {}) as Record<string, unknown>;
        set(object, 'train_file_dir', fields.data[stage]);
        if (fields.maxSteps.trim() !== '') set(object, 'max_steps', fields.maxSteps, true);
        params[stage] = object;
      }
      break;
  }
  set(params, 'output_dir', fields.outputDir);
  return { type, params };
}
