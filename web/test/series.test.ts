import { describe, expect, it } from 'vitest';
import { MetricSeries } from '../src/jobs/series';
import { tickLabels } from '../src/ui/LineChart';

describe('MetricSeries', () => {
  it('gives step metrics a point per step and evaluation metrics a point per new value', () => {
    const s = new MetricSeries();
    s.add(1, { loss: 3.0, learning_rate: 1e-4, 'rewards/accuracies': 0 });
    s.add(2, { loss: 2.5, learning_rate: 2e-4, 'rewards/accuracies': 1 });
    s.add(2, { loss: 2.5, learning_rate: 2e-4, 'rewards/accuracies': 1, eval_loss: 2.8 }); // evaluation at step 2
    s.add(3, { loss: 2.5, learning_rate: 2e-4, 'rewards/accuracies': 1, eval_loss: 2.8 }); // eval_loss repeats: no new point
    s.add(4, { loss: 2.0, eval_loss: 2.4 });
    expect(s.get('loss')).toEqual([[1, 3], [2, 2.5], [3, 2.5], [4, 2]]);
    expect(s.get('eval_loss')).toEqual([[2, 2.8], [4, 2.4]]);
    expect(s.get('learning_rate')).toEqual([[1, 1e-4], [2, 2e-4], [3, 2e-4]]);
    expect(s.get('rewards/accuracies')).toEqual([[1, 0], [2, 1], [3, 1]]);
  });

  it('skips replays older than what it has and non-numbers', () => {
    const s = new MetricSeries();
    expect(s.add(5, { loss: 1 })).toBe(true);
    expect(s.add(3, { loss: 9 })).toBe(false);
    expect(s.add(6, { loss: Number.NaN })).toBe(false);
    expect(s.add(5, { loss: 1 })).toBe(false);
    expect(s.get('loss')).toEqual([[5, 1]]);
  });

  it('aligns metrics on the union of their steps for the chart', () => {
    const s = new MetricSeries();
    s.add(1, { loss: 3 });
    s.add(2, { loss: 2, eval_loss: 2.5 });
    s.add(3, { loss: 1 });
    expect(s.aligned(['loss', 'eval_loss'])).toEqual([[1, 2, 3], [3, 2, 1], [null, 2.5, null]]);
  });
});

describe('tickLabels', () => {
  it('shows as many decimals as the spacing of the ticks needs', () => {
    expect(tickLabels([0.69305, 0.6931, 0.69315])).toEqual(['0.69305', '0.69310', '0.69315']);
    expect(tickLabels([11.88, 11.9, 11.92])).toEqual(['11.88', '11.90', '11.92']);
    expect(tickLabels([200, 250, 300])).toEqual(['200', '250', '300']);
    expect(tickLabels([0, 5e-6, 1e-5])).toEqual(['0', '5.0e-6', '1.0e-5']);
    expect(tickLabels([11.9495, 11.95, 11.9505], 0.0005)).toEqual(['11.9495', '11.9500', '11.9505']);
    expect(tickLabels([1.9998e-4, 1.9999e-4, 2e-4], 1e-8)).toEqual(['1.9998e-4', '1.9999e-4', '2.0000e-4']);
  });
});
