import { describe, expect, it } from 'vitest';
import { buildRequest, keyFieldsFor, otherParamsFor, SEED } from '../src/jobs/defaults';
import { parseRoute } from '../src/ui/route';

describe('the start-a-job form', () => {
  it('sends a stage with the seed defaults and the key fields on top; a blank field is left out', () => {
    const fields = { ...keyFieldsFor('sft'), maxSteps: '12' };
    const body = buildRequest('sft', fields, otherParamsFor('sft'));
    expect(body.type).toBe('sft');
    expect(body.params).toEqual({ ...SEED.sft, max_steps: 12 });
    expect(body.params).not.toHaveProperty('output_dir');
  });

  it('keeps DPO at its 20 steps and lets the field change it', () => {
    expect(buildRequest('dpo', keyFieldsFor('dpo'), otherParamsFor('dpo')).params.max_steps).toBe(20);
    expect(buildRequest('dpo', { ...keyFieldsFor('dpo'), maxSteps: '' }, otherParamsFor('dpo')).params).not.toHaveProperty('max_steps');
  });

  it('puts a pipeline base model and output at the top and each stage data in its object', () => {
    const fields = { ...keyFieldsFor('pipeline'), outputDir: 'models/final' };
    const { params } = buildRequest('pipeline', fields, otherParamsFor('pipeline'));
    expect(params.model_name_or_path).toBe('models/tiny');
    expect(params.output_dir).toBe('models/final');
    const pt = params.pt as Record<string, unknown>;
    const dpo = params.dpo as Record<string, unknown>;
    expect(pt.train_file_dir).toBe('data/pretrain');
    expect(pt.block_size).toBe(128);
    expect(pt).not.toHaveProperty('model_name_or_path');
    expect(dpo.max_steps).toBe(20);
    const capped = buildRequest('pipeline', { ...fields, maxSteps: '3' }, otherParamsFor('pipeline')).params;
    expect((capped.sft as Record<string, unknown>).max_steps).toBe(3);
  });

  it('sends a batch-inference job: model, queries, answers file and the JSON editor sampling', () => {
    expect(otherParamsFor('batch-inference')).toEqual({ max_new_tokens: 256 });
    const fields = { ...keyFieldsFor('batch-inference'), baseModel: 'models/m1', dataFile: ' data/q.jsonl ', outputFile: 'predictions/a.jsonl' };
    const body = buildRequest('batch-inference', fields, { max_new_tokens: 16, temperature: 0.7, seed: 7 });
    expect(body).toEqual({
      type: 'batch-inference',
      params: { base_model: 'models/m1', data_file: 'data/q.jsonl', output_file: 'predictions/a.jsonl', max_new_tokens: 16, temperature: 0.7, seed: 7 },
    });
  });

  it('leaves a batch-inference adapter, answers file and output_dir out when blank', () => {
    const fields = { ...keyFieldsFor('batch-inference'), dataFile: 'data/q.jsonl', outputDir: 'models/x' };
    expect(fields.baseModel).toBe('models/tiny');
    const { params } = buildRequest('batch-inference', fields, otherParamsFor('batch-inference'));
    expect(params).toEqual({ base_model: 'models/tiny', data_file: 'data/q.jsonl', max_new_tokens: 256 });
    const withAdapter = buildRequest('batch-inference', { ...fields, adapter: 'adapters/a1' }, {}).params;
    expect(withAdapter.lora_model).toBe('adapters/a1');
  });

  it('sends a merge with its two inputs', () => {
    const { params } = buildRequest('merge', { ...keyFieldsFor('merge'), adapter: 'adapters/a1' }, otherParamsFor('merge'));
    expect(params).toEqual({ base_model: 'models/tiny', lora_model: 'adapters/a1' });
  });
});

describe('routes', () => {
  it('reads pages from the fragment', () => {
    expect(parseRoute('').page).toBe('chat');
    expect(parseRoute('#/jobs').page).toBe('jobs');
    expect(parseRoute('#/jobs/new?type=dpo')).toMatchObject({ page: 'job-new' });
    expect(parseRoute('#/jobs/new?type=dpo').query.get('type')).toBe('dpo');
    expect(parseRoute('#/jobs/job-1%2F2')).toMatchObject({ page: 'job', id: 'job-1/2' });
    expect(parseRoute('#/chat?model=models%2Fm').query.get('model')).toBe('models/m');
  });
});
