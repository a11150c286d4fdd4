/**
 * A dependency-free reimplementation of TensorFlow Playground's training loop
 * (the algorithm of its published nn.ts, written from its description), as the
 * reference pace for a tiny net in plain JavaScript:
 *
 *   - the net is a graph of node objects joined by link objects; every hidden and
 *     output node has a bias (0.1 at start) and a tanh activation, every link a
 *     weight drawn from U(−0.5, 0.5);
 *   - an example is propagated forward node by node (total input = bias + Σ w·x);
 *   - backward: ∂E/∂output of the output node from the square error ½(out − target)²,
 *     then layer by layer ∂E/∂input = ∂E/∂output·act′(total input), accumulated per
 *     node (its bias) and per link (times the source's output), and ∂E/∂output of
 *     a node below as Σ over its outgoing links of w·∂E/∂input of the destination;
 *   - every `batchSize` examples each bias and weight moves by −lr × its accumulated
 *     derivative divided by the number of derivatives accumulated, and the
 *     accumulators are reset (no regularization).
 *
 * Labels are ±1 and the output is one tanh unit, as in Playground's classification
 * problems. One `step()` = one batch of examples and one update, the unit the
 * benchmark compares with a gradscope step.
 *
 * With `epochLoss`, each pass over the training points is followed by the mean
 * square loss over every training and test point (forward only), as Playground's
 * `oneStep()` computes its train and test loss once per epoch; without it the
 * loop trains only.
 */

interface Act {
  f(x: number): number;
  der(x: number): number;
}

const TANH: Act = {
  f: (x) => Math.tanh(x),
  der: (x) => {
    const t = Math.tanh(x);
    return 1 - t * t;
  },
};

class Link {
  weight: number;
  errorDer = 0;
  accErrorDer = 0;
  numAccumulatedDers = 0;
  constructor(
    readonly source: GraphNode,
    readonly dest: GraphNode,
    weight: number,
  ) {
    this.weight = weight;
  }
}

class GraphNode {
  inputLinks: Link[] = [];
  outputs: Link[] = [];
  bias = 0.1;
  totalInput = 0;
  output = 0;
  outputDer = 0;
  inputDer = 0;
  accInputDer = 0;
  numAccumulatedDers = 0;
  constructor(readonly act: Act) {}

  updateOutput(): number {
    let total = this.bias;
    for (const link of this.inputLinks) total += link.weight * link.source.output;
    this.totalInput = total;
    this.output = this.act.f(total);
    return this.output;
  }
}

/** Seeded U[0, 1) (mulberry32), so that runs are repeatable. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class PlaygroundNet {
  private readonly layers: GraphNode[][];
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  private readonly n: number;
  private pos = 0;

  /** `xs`: n examples of `shape[0]` inputs; `ys`: their labels, ±1. */
  constructor(
    shape: number[],
    xs: ArrayLike<number>,
    ys: ArrayLike<number>,
    readonly batchSize = 10,
    readonly learningRate = 0.03,
    seed = 1,
    private readonly epochLoss: { xs: ArrayLike<number>; ys: ArrayLike<number> } | null = null,
  ) {
    const rand = uniform(seed);
    this.layers = shape.map((width) => Array.from({ length: width }, () => new GraphNode(TANH)));
    for (let l = 1; l < this.layers.length; l++) {
      for (const node of this.layers[l]) {
        for (const src of this.layers[l - 1]) {
          const link = new Link(src, node, rand() - 0.5);
          src.outputs.push(link);
          node.inputLinks.push(link);
        }
      }
    }
    this.xs = Float64Array.from(xs);
    this.ys = Float64Array.from(ys);
    this.n = this.ys.length;
  }

  private forward(offset: number): number {
    const input = this.layers[0];
    for (let i = 0; i < input.length; i++) input[i].output = this.xs[offset + i];
    for (let l = 1; l < this.layers.length; l++) for (const node of this.layers[l]) node.updateOutput();
    return this.layers[this.layers.length - 1][0].output;
  }

  private backward(target: number): void {
    const out = this.layers[this.layers.length - 1][0];
    out.outputDer = out.output - target; // d/dout of ½(out − target)²
    for (let l = this.layers.length - 1; l >= 1; l--) {
      const layer = this.layers[l];
      for (const node of layer) {
        node.inputDer = node.outputDer * node.act.der(node.totalInput);
        node.accInputDer += node.inputDer;
        node.numAccumulatedDers++;
      }
      for (const node of layer) {
        for (const link of node.inputLinks) {
          link.errorDer = node.inputDer * link.source.output;
          link.accErrorDer += link.errorDer;
          link.numAccumulatedDers++;
        }
      }
      if (l === 1) continue;
      for (const node of this.layers[l - 1]) {
        let der = 0;
        for (const link of node.outputs) der += link.weight * link.dest.inputDer;
        node.outputDer = der;
      }
    }
  }

  private update(): void {
    const lr = this.learningRate;
    for (let l = 1; l < this.layers.length; l++) {
      for (const node of this.layers[l]) {
        if (node.numAccumulatedDers > 0) {
          node.bias -= (lr * node.accInputDer) / node.numAccumulatedDers;
          node.accInputDer = 0;
          node.numAccumulatedDers = 0;
        }
        for (const link of node.inputLinks) {
          if (link.numAccumulatedDers > 0) {
            link.weight -= (lr / link.numAccumulatedDers) * link.accErrorDer;
            link.accErrorDer = 0;
            link.numAccumulatedDers = 0;
          }
        }
      }
    }
  }

  /** One batch of examples (in order, wrapping around) and one update; returns the batch's mean square error. */
  step(): number {
    const d = this.layers[0].length;
    let loss = 0;
    for (let i = 0; i < this.batchSize; i++) {
      const k = this.pos;
      this.pos = (this.pos + 1) % this.n;
      const out = this.forward(k * d);
      loss += 0.5 * (out - this.ys[k]) ** 2;
      this.backward(this.ys[k]);
    }
    this.update();
    if (this.epochLoss && this.pos < this.batchSize) {
      // An epoch ended in this batch: Playground's oneStep() then scores every point.
      this.lossTrain = this.meanLoss(this.xs, this.ys);
      this.lossTest = this.meanLoss(this.epochLoss.xs, this.epochLoss.ys);
    }
    return loss / this.batchSize;
  }

  /** The latest per-epoch losses (with `epochLoss`). */
  lossTrain = NaN;
  lossTest = NaN;

  private meanLoss(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
    const d = this.layers[0].length;
    const input = this.layers[0];
    let sum = 0;
    for (let k = 0; k < ys.length; k++) {
      for (let i = 0; i < d; i++) input[i].output = xs[k * d + i];
      for (let l = 1; l < this.layers.length; l++) for (const node of this.layers[l]) node.updateOutput();
      sum += 0.5 * (this.layers[this.layers.length - 1][0].output - ys[k]) ** 2;
    }
    return ys.length ? sum / ys.length : 0;
  }
}
