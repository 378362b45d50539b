"""Commands said in so many words, read as what they say whatever the intent model guesses.

``ContinueCommand`` sits after the classifiers in ``config.yml``: a message such as "continue
ISD-000123 key ABCDE-FGHIJ" (:func:`bot.protocol.reading.asks_to_continue`) is given the intent
``continue_check`` with full confidence; "training", "scenario 7" (trainer scenarios,
:func:`bot.training.practice.asks_for_training`) are ``start_training``. The intent model
learns the intents from ``data/nlu.yml`` too, but a reference and a key are not words it can be
trusted with: a check must never be continued, or fail to be, on a guess.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.protocol.reading import CONTINUE_INTENT, asks_to_continue
from bot.training.practice import TRAINING_INTENT, asks_for_training

# (the command said in so many words, the intent it is)
COMMANDS = ((asks_to_continue, CONTINUE_INTENT), (asks_for_training, TRAINING_INTENT))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ContinueCommand(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ContinueCommand:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            for said, name in COMMANDS:
                if said(message.get(TEXT)):
                    intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
                    message.set(INTENT, intent, add_to_output=True)
                    break
        return messages
