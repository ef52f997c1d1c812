from django import template

from languages.words import say

register = template.Library()


@register.filter(name="say")
def say_filter(text):
    """{{ problem.sentence|say }}: the network core's English words in the page's language."""
    return say(text) if isinstance(text, str) else text
