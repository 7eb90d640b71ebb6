// Motif files, PWMs, scanning and region × motif-cluster matrices (filled by the motif work).
export {};
