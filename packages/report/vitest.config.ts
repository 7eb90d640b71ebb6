import { chromflowVitest } from '../../vitest.shared.js';

export default chromflowVitest;
