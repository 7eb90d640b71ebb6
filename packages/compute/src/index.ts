// @chromflow/compute: the training layer under every chromflow model.
export {};
