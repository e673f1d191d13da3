from django.apps import AppConfig


class VocabularyConfig(AppConfig):
    name = "school.vocabulary"
    label = "vocabulary"
    verbose_name = "Vocabulary and flashcard practice"
