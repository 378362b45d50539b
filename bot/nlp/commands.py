"""Commands said in so many words, read as what they say whatever the intent model guesses.

``ContinueCommand`` sits after the classifiers in ``config.yml``: a message such as "continue
ISD-000123 key ABCDE-FGHIJ" (:func:`bot.protocol.reading.asks_to_continue`) is given the intent
``continue_check`` with full confidence; "training", "scenario 7" (trainer scenarios asked for in
so many words) are ``start_training``, and a message that asks whether something can be shared
is never practice, whatever training words it contains: "can I share the case study notes with
the virtual school?" is ``start_check`` where the model guessed ``start_training``
(:func:`bot.protocol.opening.intent_for`). The intent model learns the intents from
``data/nlu.yml`` too, but a reference and a key are not words it can be trusted with: a check must
never be continued, or fail to be, on a guess.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.protocol.opening import intent_for
from bot.protocol.reading import CONTINUE_INTENT, asks_to_continue


def command_intent(text: str | None, predicted: str | None) -> str | None:
    """The intent a message is whatever the model guessed (``predicted``), or None."""
    if asks_to_continue(text):
        return CONTINUE_INTENT
    return intent_for(text, predicted)


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
            predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            name = command_intent(message.get(TEXT), predicted)
            if name is not None:
                intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, intent, add_to_output=True)
        return messages
