import { formatDuration } from '../util/progress.js';
import type { RunPlan } from './plan.js';

/**
 * The whole run's progress and ETA, not one shard's: what is left to extract at each model's
 * speed (measured in this run once it has extracted something, else from history) plus what is
 * left to evaluate (history, else the mean of this run's evaluations so far). Parts without
 * any basis are named instead of guessed.
 */
export class RunProgress {
  private readonly left = new Map<number, number>();
  private readonly done = new Map<number, number>();
  private readonly busySeconds = new Map<number, number>();
  private readonly prior = new Map<number, number | undefined>();
  private shardStart: number | undefined;
  private evalsLeft: { estimate?: number }[];
  private readonly evalSeconds: number[] = [];
  private readonly totalInputs: number;

  constructor(
    plan: RunPlan,
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const u of plan.extract) if (!u.cached) this.left.set(u.model, (this.left.get(u.model) ?? 0) + u.images);
    for (const m of plan.models) this.prior.set(m.index, m.imagesPerSecond);
    this.totalInputs = [...this.left.values()].reduce((a, b) => a + b, 0);
    this.evalsLeft = plan.eval.filter((u) => !u.done).map((u) => ({ estimate: u.estimate?.seconds }));
  }

  shardStarted(_model: number): void {
    this.shardStart = this.now();
  }

  extracted(model: number, inputs: number): void {
    this.done.set(model, (this.done.get(model) ?? 0) + inputs);
    this.left.set(model, Math.max(0, (this.left.get(model) ?? 0) - inputs));
  }

  shardStopped(model: number): void {
    if (this.shardStart === undefined) return;
    this.busySeconds.set(model, (this.busySeconds.get(model) ?? 0) + (this.now() - this.shardStart) / 1000);
    this.shardStart = undefined;
  }

  /** One evaluation unit finished (or was found done) after `seconds` of work. */
  evaluated(seconds: number): void {
    this.evalsLeft.shift();
    this.evalSeconds.push(seconds);
  }

  private rate(model: number): number | undefined {
    const done = this.done.get(model) ?? 0;
    let busy = this.busySeconds.get(model) ?? 0;
    if (this.shardStart !== undefined) busy += (this.now() - this.shardStart) / 1000;
    // A second of work is enough to replace history with this run's own speed.
    if (done > 0 && busy >= 1) return done / busy;
    return this.prior.get(model);
  }

  /** Seconds left and what had no basis. */
  eta(): { seconds: number; unknown: string[] } {
    let seconds = 0;
    const unknown: string[] = [];
    for (const [model, inputs] of this.left) {
      if (inputs <= 0) continue;
      const r = this.rate(model);
      if (r) seconds += inputs / r;
      else if (!unknown.includes('extraction')) unknown.push('extraction');
    }
    const meanEval = this.evalSeconds.length ? this.evalSeconds.reduce((a, b) => a + b, 0) / this.evalSeconds.length : undefined;
    for (const u of this.evalsLeft) {
      const s = u.estimate ?? meanEval;
      if (s === undefined) {
        if (!unknown.includes('evaluation')) unknown.push('evaluation');
      } else seconds += s;
    }
    return { seconds, unknown };
  }

  /** `run 40 % extracted · run ETA 3.1 min`, for progress bars, log lines and unit lines. */
  describe(): string {
    const doneInputs = [...this.done.values()].reduce((a, b) => a + b, 0);
    if (doneInputs >= this.totalInputs && this.evalsLeft.length === 0) return 'run complete';
    const parts: string[] = [];
    if (this.totalInputs > 0 && doneInputs < this.totalInputs) parts.push(`run ${Math.floor((100 * doneInputs) / this.totalInputs)} % extracted`);
    if (this.evalsLeft.length) parts.push(`${this.evalsLeft.length} evaluation(s) left`);
    const { seconds, unknown } = this.eta();
    if (unknown.length === 0) parts.push(`run ETA ${formatDuration(seconds)}`);
    else if (seconds > 0) parts.push(`run ETA > ${formatDuration(seconds)} (${unknown.join(' and ')} time not known yet)`);
    else parts.push(`run ETA unknown until some ${unknown.join(' and ')} has run`);
    return parts.join(' · ');
  }
}
