import path from 'node:path';
import type { DatasetSource } from '../data/types.js';
import type { RecipeRef } from '../data/recipes/index.js';
import { defaultCacheDir } from '../util/paths.js';
import type { LoadedSuite, Suite } from './suite.js';
import { openSuiteDataset } from './datasets.js';
import { openSuiteModel, type SuiteModel } from './models.js';
import { preparerFor, type Preparer } from './preprocessing.js';
import { limitDataset, limitSegDataset } from './limit.js';
import { checkSegSource, openSegDataset, type SegSource } from './seg-datasets.js';

/** Where a run reads and writes: resolved once by whoever plans the run, then shipped to every executor. */
export interface RunLocation {
  suite: Suite;
  /** Directory relative suite paths resolve against. */
  baseDir: string;
  cacheDir: string;
  resultsDir: string;
  /** Re-read every data file instead of trusting cached content hashes (`run --verify`). */
  verify?: boolean;
  /** At most this many samples per split (`run --limit`, see limit.ts). */
  limit?: number;
}

export function resolveRunLocation(loaded: LoadedSuite, overrides: { cacheDir?: string; resultsDir?: string; verify?: boolean; limit?: number } = {}): RunLocation {
  const { suite, baseDir } = loaded;
  const cacheDir = path.resolve(overrides.cacheDir ?? (suite.cacheDir ? path.resolve(baseDir, suite.cacheDir) : defaultCacheDir()));
  // A limited run's results never land beside (or replace) the full run's.
  const suiteResults = path.resolve(baseDir, suite.resultsDir ?? 'results');
  const resultsDir = path.resolve(overrides.resultsDir ?? (overrides.limit ? `${suiteResults}-limit-${overrides.limit}` : suiteResults));
  return { suite, baseDir, cacheDir, resultsDir, ...(overrides.verify ? { verify: true } : {}), ...(overrides.limit ? { limit: overrides.limit } : {}) };
}

/**
 * Datasets and models of one suite, opened on first use. Datasets stay open (they are file
 * handles and label arrays); only one model is held at a time, because a ViT-L session is
 * over a gigabyte and units are ordered model by model.
 */
export class RunResources {
  private readonly datasets = new Map<number, Promise<DatasetSource>>();
  private readonly segDatasets = new Map<number, Promise<SegSource>>();
  private readonly checkedSegDatasets = new Map<number, Promise<SegSource>>();
  private held: { index: number; opened: Promise<SuiteModel> } | undefined;
  private leased = -1;
  private users = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly location: RunLocation) {}

  dataset(index: number): Promise<DatasetSource> {
    let d = this.datasets.get(index);
    if (!d) {
      const { limit } = this.location;
      const opened = openSuiteDataset(this.location.suite.datasets[index], { baseDir: this.location.baseDir, cacheDir: this.location.cacheDir, resultsDir: this.location.resultsDir, verify: this.location.verify });
      d = limit ? opened.then((ds) => limitDataset(ds, limit)) : opened;
      this.datasets.set(index, d);
      d.catch(() => this.datasets.delete(index));
    }
    return d;
  }

  /** A segmentation entry of the suite (`source: segmentation`), opened once. */
  segDataset(index: number): Promise<SegSource> {
    let d = this.segDatasets.get(index);
    if (!d) {
      const entry = this.location.suite.datasets[index];
      if (entry.source !== 'segmentation') throw new Error(`dataset ${index} is not a segmentation entry`);
      const { limit } = this.location;
      const opened = openSegDataset(entry, { baseDir: this.location.baseDir, cacheDir: this.location.cacheDir, resultsDir: this.location.resultsDir });
      d = limit ? opened.then((seg) => limitSegDataset(seg, limit)) : opened;
      this.segDatasets.set(index, d);
      d.catch(() => this.segDatasets.delete(index));
    }
    return d;
  }

  /** segDataset, every case of it read once and checked (checkSegSource): before the first extraction of the dataset. */
  checkedSegDataset(index: number): Promise<SegSource> {
    let d = this.checkedSegDatasets.get(index);
    if (!d) {
      d = this.segDataset(index).then(async (seg) => (await checkSegSource(seg), seg));
      this.checkedSegDatasets.set(index, d);
      d.catch(() => this.checkedSegDatasets.delete(index));
    }
    return d;
  }

  /** The model of a suite entry, opening it (and closing the one held before) when needed. */
  model(index: number): Promise<SuiteModel> {
    if (this.held?.index === index) return this.held.opened;
    const previous = this.held;
    // Assigned before any await, so concurrent callers for the same model share one open.
    const opened = (async () => {
      if (previous) await (await previous.opened.catch(() => undefined))?.backbone.dispose();
      return openSuiteModel(this.location.suite.models[index], { baseDir: this.location.baseDir, cacheDir: this.location.cacheDir, protocols: this.location.suite.protocols, precision: this.location.suite.precision });
    })();
    const held = { index, opened };
    this.held = held;
    opened.catch(() => {
      if (this.held === held) this.held = undefined;
    });
    return opened;
  }

  /**
   * Use a model while other units may run concurrently in this process (queue workers with
   * --concurrency > 1): a unit needing another model waits until no unit uses the held one,
   * instead of having the session disposed under it. Pair with `unlease()`.
   */
  async lease(index: number): Promise<SuiteModel> {
    while (this.users > 0 && this.leased !== index) await new Promise<void>((r) => this.waiters.push(r));
    this.leased = index;
    this.users++;
    try {
      return await this.model(index);
    } catch (e) {
      this.unlease();
      throw e;
    }
  }

  /** Some unit holds a lease on a model right now. */
  get busy(): boolean {
    return this.users > 0;
  }

  unlease(): void {
    this.users--;
    if (this.users === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  async preparer(modelIndex: number, datasetIndex: number): Promise<Preparer> {
    const [model, dataset] = await Promise.all([this.model(modelIndex), this.dataset(datasetIndex)]);
    const entry = this.location.suite.datasets[datasetIndex];
    return preparerFor(model.backbone, dataset, entry.recipe as RecipeRef, entry.sliceAggregation === '2.5d' ? '2.5d' : entry.sliceAxis);
  }

  async releaseModel(): Promise<void> {
    const m = this.held;
    this.held = undefined;
    if (m) await (await m.opened.catch(() => undefined))?.backbone.dispose();
  }

  async close(): Promise<void> {
    await this.releaseModel();
  }
}
