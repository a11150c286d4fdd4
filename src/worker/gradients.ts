/**
 * Registers every tfjs-core gradient; worker entries import this first.
 *
 * tfjs-core's main module must run before `register_all_gradients`: that list
 * names a few gradients twice, and registering one again reads the `DEBUG`
 * flag, which only the main module registers. The other way round a worker
 * dies on load with "Cannot evaluate flag 'DEBUG': no evaluation function
 * found" wherever modules run in import order, as on the dev server. (The
 * production build puts tfjs-core in a shared chunk that runs before the
 * worker's own code, so there either order worked.)
 */
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
