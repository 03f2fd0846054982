"""A community-style stateful DeepRacer reward function, as racers write it: a class instance at
module level keeps the previous step's params, starts over when ``params['steps'] == 1`` (a new
episode) and insists that steps within an episode follow one another.

Not a test module: tests load its source as a user's reward file (validation and training).
"""
import math


class Reward:
    def __init__(self, verbose=False):
        self.verbose = verbose
        self.prev_steps = None
        self.prev_progress = 0.0
        self.prev_speed = None
        self.episodes = 0

    def update(self, params):
        steps = params['steps']
        if steps == 1 or self.prev_steps is None:
            assert steps == 1, "the first call of a run must be an episode's first step, got %s" % steps
            self.episodes += 1
            self.prev_progress = 0.0
            self.prev_speed = None
        else:
            assert steps == self.prev_steps + 1, "steps jumped from %s to %s" % (self.prev_steps, steps)
        gained = params['progress'] - self.prev_progress
        steady = 1.0 if self.prev_speed is None else 1.0 / (1.0 + abs(params['speed'] - self.prev_speed))
        self.prev_steps = steps
        self.prev_progress = params['progress']
        self.prev_speed = params['speed']
        return gained, steady

    def reward_function(self, params):
        gained, steady = self.update(params)
        if not params['all_wheels_on_track']:
            return 1e-3
        centre = 1.0 - min(1.0, params['distance_from_center'] / (0.5 * params['track_width']))
        reward = 1.0 + centre + steady + max(0.0, gained)
        if self.verbose:
            print("step %d reward %.3f" % (params['steps'], reward))
        return float(reward) if math.isfinite(reward) else 1e-3


reward_object = Reward()


def reward_function(params):
    return reward_object.reward_function(params)
