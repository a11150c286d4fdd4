/**
 * The typed engine's update: the optimizer rules (optimizers.ts) with their float32
 * constants, decoupled weight decay, and batch norm's moving statistics.
 */
import type { RunConfig } from '../config.ts';
import { BN_MOMENTUM } from '../model.ts';
import type { MlpNet, NetLayer } from './net.ts';

const f = Math.fround;

/**
 * The optimizer rule `name` (optimizers.ts) and decoupled weight decay on every
 * variable, in place, with the rule's `slots` and `iteration` (applied updates so
 * far); accumulates Σ (W_new − W_old)² per layer into uSq, and over the kernels
 * alone into kuSq.
 */
export function applyUpdate(
  name: RunConfig['optimizer']['name'],
  o: RunConfig['optimizer'],
  net: MlpNet,
  slots: Float32Array[],
  iteration: number,
  lr: number,
  uSq: Float64Array,
  kuSq: Float64Array,
): void {
  const w = net.params;
  const g = net.grads;
  const [s0, s1] = slots;
  const wd = o.weightDecay;
  const lrwd = wd > 0 ? f(lr * f(wd)) : 0;
  const t = iteration + 1;
  // tfjs's scalars are float32: the constants as the rules pass them to tf.mul/tf.add.
  const mom = f(o.momentum);
  const rho = f(o.rho);
  const rho1 = f(1 - o.rho);
  const eps = f(o.epsilon);
  const b1 = f(o.beta1);
  const b2 = f(o.beta2);
  const b11 = f(1 - o.beta1);
  const b21 = f(1 - o.beta2);
  const bc1 = f(1 - f(Math.pow(b1, t)));
  const bc2 = f(1 - f(Math.pow(b2, t)));
  const adamaxScale = f(lr / bc1);
  for (const v of net.vars) {
    let s = 0;
    for (let k = v.offset, end = v.offset + v.size; k < end; k++) {
      const old = w[k];
      const gk = g[k];
      let nw: number;
      switch (name) {
        case 'sgd':
          nw = old - f(lr * gk);
          break;
        case 'momentum':
        case 'nesterov': {
          const vel = f(f(s0[k] * mom) + gk);
          s0[k] = vel;
          nw = old - f(lr * (name === 'nesterov' ? f(gk + f(vel * mom)) : vel));
          break;
        }
        case 'adagrad': {
          const acc = f(s0[k] + f(gk * gk));
          s0[k] = acc;
          nw = old - f(lr * f(gk / f(f(Math.sqrt(acc)) + eps)));
          break;
        }
        case 'adadelta': {
          const eg = f(f(s0[k] * rho) + f(f(gk * gk) * rho1));
          const delta = f(f(f(Math.sqrt(f(s1[k] + eps))) / f(Math.sqrt(f(eg + eps)))) * gk);
          s1[k] = f(f(s1[k] * rho) + f(f(delta * delta) * rho1));
          s0[k] = eg;
          nw = old - f(lr * delta);
          break;
        }
        case 'rmsprop': {
          const ms = f(f(s0[k] * rho) + f(f(gk * gk) * rho1));
          const buf = f(f(s1[k] * mom) + f(gk / f(f(Math.sqrt(ms)) + eps)));
          s0[k] = ms;
          s1[k] = buf;
          nw = old - f(lr * buf);
          break;
        }
        case 'adam':
        case 'adamw': {
          const m = f(f(s0[k] * b1) + f(gk * b11));
          const vv = f(f(s1[k] * b2) + f(f(gk * gk) * b21));
          s0[k] = m;
          s1[k] = vv;
          nw = old - f(lr * f(f(m / bc1) / f(f(Math.sqrt(f(vv / bc2))) + eps)));
          break;
        }
        case 'adamax': {
          const m = f(f(s0[k] * b1) + f(gk * b11));
          const u = Math.max(f(s1[k] * b2), f(Math.abs(gk) + eps));
          s0[k] = m;
          s1[k] = u;
          nw = old - f(adamaxScale * f(m / u));
          break;
        }
      }
      nw = f(nw);
      if (lrwd !== 0) nw = f(nw - f(lrwd * old));
      w[k] = nw;
      const dw = nw - old;
      s += dw * dw;
    }
    uSq[v.layer] += s;
    if (v.kind === 'kernel') kuSq[v.layer] += s;
  }
}

/** Batch norm's moving statistics after an update: keep·moving + (1 − keep)·batch, per unit. */
export function updateMovingStats(layers: readonly NetLayer[]): void {
  for (const layer of layers) {
    const mm = layer.movingMean;
    if (!mm) continue;
    const mv = layer.movingVar!;
    const bm = layer.statMean!;
    const bv = layer.statVar!;
    const keep = f(BN_MOMENTUM);
    const take = f(1 - BN_MOMENTUM);
    for (let j = 0; j < mm.length; j++) {
      mm[j] = f(mm[j] * keep) + f(bm[j] * take);
      mv[j] = f(mv[j] * keep) + f(bv[j] * take);
    }
  }
}
