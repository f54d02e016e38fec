import type { VNode } from 'preact';

/** Compact text for a recipe value: arrays and objects as one-line JSON, strings bare. */
function compact(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isInteger(x) ? +x.toPrecision(6) : x)) ?? String(v);
}

function Step({ step }: { step: unknown }): VNode {
  if (!step || typeof step !== 'object' || Array.isArray(step)) return <li>{compact(step)}</li>;
  const { op, ...rest } = step as Record<string, unknown>;
  const params = Object.entries(rest)
    .map(([k, v]) => `${k}=${compact(v)}`)
    .join(', ');
  return (
    <li>
      {op !== undefined ? <code>{compact(op)}</code> : null}
      {params ? ` ${params}` : ''}
    </li>
  );
}

function Value({ v }: { v: unknown }): VNode {
  if (Array.isArray(v) && v.some((s) => s && typeof s === 'object'))
    return (
      <ol class="steps">
        {v.map((s) => (
          <Step step={s} />
        ))}
      </ol>
    );
  return <>{compact(v)}</>;
}

/** Recipes as the models that ran them saw them; a dataset page gets one per model. */
export interface RecipeUse {
  models: string[];
  recipe: Record<string, unknown>;
}

/**
 * A dataset's preprocessing, stated once: the fields every model's recipe shares as one
 * definition list, then only the fields that differ, per model (input size, mean/std…).
 * Long decimals are shown to 6 significant digits here only; the raw result JSON keeps exact values.
 */
export function Preprocessing({ uses }: { uses: RecipeUse[] }): VNode {
  if (!uses.length || uses.every((u) => !Object.keys(u.recipe).length)) return <p class="muted">No preprocessing recorded.</p>;
  const keys = [...new Set(uses.flatMap((u) => Object.keys(u.recipe)))];
  const same = (k: string): boolean => uses.every((u) => compact(u.recipe[k]) === compact(uses[0].recipe[k]));
  const common = keys.filter(same);
  const differing = keys.filter((k) => !same(k));
  return (
    <>
      <dl class="facts">
        {common.map((k) => (
          <>
            <dt>{k}</dt>
            <dd>
              <Value v={uses[0].recipe[k]} />
            </dd>
          </>
        ))}
      </dl>
      {differing.length ? (
        <div class="table-wrap">
          <table class="recipes">
            <caption>Fields that differ between the models' recipes</caption>
            <thead>
              <tr>
                <th scope="col">Models</th>
                {differing.map((k) => (
                  <th scope="col">{k}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {uses.map((u) => (
                <tr>
                  <th scope="row">{u.models.join(', ')}</th>
                  {differing.map((k) => (
                    <td>{u.recipe[k] === undefined ? <span class="muted">—</span> : <Value v={u.recipe[k]} />}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
