import { test } from 'node:test';
import assert from 'node:assert/strict';
import { irNode, makeTensor, type Graph } from '../../../src/engine/autodiff/ir.js';
import { buildTrainingGraph } from '../../../src/engine/autodiff/training-graph.js';
import { medprobeError } from '../../helpers/assertions.js';

function graphWith(op: string): Graph {
  const inits = new Map([['w', makeTensor('w', 'float', [3], [0.1, 0.2, 0.3])]]);
  return {
    nodes: [irNode(op, ['w'], ['y']), irNode('ReduceSum', ['y'], ['loss'], { keepdims: 0 })],
    inits,
    inputs: [],
    outputs: ['loss'],
    opset: 17,
  };
}

test('an operator without a rule is one clear error naming the op and the node', async () => {
  await assert.rejects(buildTrainingGraph({ graph: graphWith('Asin'), loss: 'loss', trainable: ['w'], inputDims: {}, outputs: [] }), (e: Error) => {
    assert.match(e.message, /Asin node 'medprobe\/y'.*no rule/);
    return true;
  });
});

test('an operator with shapes but no gradient rule on the trainable path is refused, not differentiated wrongly', async () => {
  const g = graphWith('Floor');
  await assert.rejects(buildTrainingGraph({ graph: g, loss: 'loss', trainable: ['w'], inputDims: {}, outputs: [] }), medprobeError(/Floor node 'medprobe\/y': operator Floor has no gradient rule/));
});

test('a trainable name that is not an initializer is refused', async () => {
  await assert.rejects(buildTrainingGraph({ graph: graphWith('Exp'), loss: 'loss', trainable: ['nope'], inputDims: {}, outputs: [] }), /trainable tensor 'nope'/);
});
