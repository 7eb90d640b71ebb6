import { xchromPredict } from './xchrom-predict.js';
import { xchromTrain } from './xchrom-train.js';
import { getInputs } from './get-inputs.js';
import { getMotifFeatures } from './get-motif-features.js';
import { getPretrain } from './get-pretrain.js';
import { getFinetune } from './get-finetune.js';
import { getPredict } from './get-predict.js';
import { atacformerPretrain } from './atacformer-pretrain.js';
import { atacformerEmbed } from './atacformer-embed.js';
import { atacformerFinetune } from './atacformer-finetune.js';
import { atacformerCraft } from './atacformer-craft.js';
import { clasterTrain } from './claster-train.js';
import { clasterPredict } from './claster-predict.js';
import { clasterPerturb } from './claster-perturb.js';

export const stages = [
  xchromTrain,
  xchromPredict,
  getMotifFeatures,
  getInputs,
  getPretrain,
  getFinetune,
  getPredict,
  atacformerPretrain,
  atacformerFinetune,
  atacformerCraft,
  atacformerEmbed,
  clasterTrain,
  clasterPredict,
  clasterPerturb,
];
